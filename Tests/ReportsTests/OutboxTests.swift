// Proves lists land under outbox/PRACTICE/WEEK/ with files 0600 and directories 0700 whatever the umask,
// that a practice id cannot climb out of the outbox, and that rewriting replaces a file whole.
import Foundation
import LastMileCore
import Reports
import Testing

@Suite struct OutboxTests {
    private func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func mode(_ url: URL) throws -> Int {
        let attrs = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attrs[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func writesCSVAndHTMLPrivately() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let outbox = root.appendingPathComponent("outbox")
        let files = try SamplePractice.list.write(toOutbox: outbox, template: loadTemplate())
        #expect(
            files.map(\.lastPathComponent) == [
                "absenteeism-riverside-peds-2026-11-23.csv", "absenteeism-riverside-peds-2026-11-23.html",
            ])
        #expect(files.allSatisfy { $0.deletingLastPathComponent().path.hasSuffix("outbox/riverside-peds/2026-11-23") })
        for f in files { #expect(try mode(f) == 0o600) }
        #expect(try mode(outbox) == 0o700)
        #expect(try mode(outbox.appendingPathComponent("riverside-peds")) == 0o700)
        #expect(try mode(outbox.appendingPathComponent("riverside-peds/2026-11-23")) == 0o700)
        let csv = try Data(contentsOf: files[0])
        #expect(csv == Data(SamplePractice.list.csv().utf8))  // bytes: the BOM included
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: files[0].deletingLastPathComponent().path)
        #expect(leftovers.sorted() == files.map(\.lastPathComponent).sorted())
    }

    @Test func rewritingReplacesTheFileAndTightensAWideDirectory() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let practiceDir = root.appendingPathComponent("riverside-peds")
        try FileManager.default.createDirectory(
            at: practiceDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        _ = try SamplePractice.list.write(toOutbox: root, template: nil)
        let empty = AbsenteeismList(
            practiceId: "riverside-peds", practiceName: "Riverside Pediatrics", weekOf: day("2026-11-23"), patients: [])
        let files = try empty.write(toOutbox: root, template: nil)
        #expect(files.count == 1)
        #expect(try Data(contentsOf: files[0]) == Data(empty.csv().utf8))
        #expect(try mode(practiceDir) == 0o700)
    }

    @Test(arguments: ["../escape", "..", ".hidden", "a/b", "", "x\ny"])
    func unsafePracticeIdsAreRefused(_ id: String) throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let list = AbsenteeismList(practiceId: id, practiceName: "X", weekOf: day("2026-11-23"), patients: [])
        #expect(throws: ReportError.unsafePathComponent(role: "practice id")) {
            try list.write(toOutbox: root, template: nil)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path).isEmpty)
    }

    @Test func aSymlinkInPlaceOfADirectoryIsRefused() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let elsewhere = root.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let outbox = root.appendingPathComponent("outbox")
        try FileManager.default.createDirectory(at: outbox, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: outbox.appendingPathComponent("riverside-peds"), withDestinationURL: elsewhere)
        #expect(throws: ReportError.notADirectory(path: "riverside-peds")) {
            try SamplePractice.list.write(toOutbox: outbox, template: nil)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }
}
