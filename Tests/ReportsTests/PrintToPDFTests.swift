// Issue 18: the list prints. Renders a long list to PDF with headless Chromium (when installed) and checks
// that it paginates and, when poppler's pdftotext is installed too, that every page carries the practice, the
// week, the data date, "Confidential" and "Page N of M".
import Foundation
import LastMileCore
import Reports
import Testing

/// The headless browser, when this machine has one: `LASTMILE_CHROMIUM`, else the usual install paths.
enum Chromium {
    static let path: String? = {
        let candidates =
            [ProcessInfo.processInfo.environment["LASTMILE_CHROMIUM"]].compactMap { $0 } + [
                "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
            ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let pdftotext: String? = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Runs `program` with `arguments`, output discarded; its exit status.
    static func run(_ program: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

@Suite struct PrintToPDFTests {
    @Test(
        .enabled(
            if: Chromium.path != nil,
            "skipped: no headless Chromium (install the chromium package or set LASTMILE_CHROMIUM)"))
    func aLongListPrintsWithTheHeaderAndPageNumbersOnEveryPage() throws {
        let chromium = try #require(Chromium.path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-pdf-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        // Forty rows: several landscape pages.
        let base = SamplePractice.patients[1]
        let patients = (0..<40).map { i -> ListedPatient in
            var p = base
            p.patientId = "P9\(100 + i)"
            p.absenteeism.patientId = p.patientId
            p.familyName = "Testperson\(i)"
            p.recentAbsences = RecentAbsences(
                last30Days: 3, excused: 2, unexcused: 5, weekly: [0, 1, 2, 1, 0, 3, 2, 1])
            return p
        }
        var list = AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: day("2026-11-23"),
            patients: patients)
        list.dataFreshness = [SourceFreshness(source: "riverside-usd", dataThrough: day("2026-11-20"), isStale: false)]
        let html = directory.appendingPathComponent("list.html")
        let pdf = directory.appendingPathComponent("list.pdf")
        try Data(try list.html(using: try loadTemplate()).utf8).write(to: html)

        let status = try Chromium.run(
            chromium,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                "--user-data-dir=\(directory.appendingPathComponent("profile").path)",
                "--print-to-pdf=\(pdf.path)", html.absoluteString,
            ])
        #expect(status == 0)
        let data = try Data(contentsOf: pdf)
        #expect(data.prefix(5) == Data("%PDF-".utf8))
        let raw = String(decoding: data, as: UTF8.self)
        let pages = try NSRegularExpression(pattern: "/Type\\s*/Page[^s]")
            .numberOfMatches(in: raw, range: NSRange(raw.startIndex..., in: raw))
        #expect(pages >= 3, "forty rows fit on \(pages) page(s)")

        guard let pdftotext = Chromium.pdftotext else { return }  // the text check needs poppler-utils
        let text = directory.appendingPathComponent("list.txt")
        #expect(try Chromium.run(pdftotext, ["-layout", pdf.path, text.path]) == 0)
        let pageTexts = try String(contentsOf: text, encoding: .utf8).split(separator: "\u{0C}")
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        #expect(pageTexts.count == pages)
        for (index, page) in pageTexts.enumerated() {
            #expect(page.contains("Riverside Pediatrics (riverside-peds) · week of 2026-11-23"), "page \(index + 1)")
            #expect(page.contains("attendance data through 2026-11-20 (riverside-usd) · Confidential"))
            #expect(page.contains("Page \(index + 1) of \(pages)"), "page \(index + 1)")
            #expect(page.contains("PATIENT"), "the column header repeats on page \(index + 1)")
        }
    }
}
