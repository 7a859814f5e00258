import Foundation
import ZIPFoundation

/// What a file is, told from its first bytes — never from its name (a roster called `.csv` may be a workbook).
enum SniffedFormat: Equatable {
    /// Text: CSV, or fixed width when the config says so.
    case text
    case utf16(bigEndian: Bool)
    case xlsx
    case jsonArray
    case jsonLines
    /// Something lastmile does not read; the name says what it looks like (`a PDF document`).
    case unsupported(String)
}

enum FormatSniffer {
    /// Looks at the start of the file (and, for a ZIP, at its entry names).
    static func sniff(_ head: [UInt8], zipEntries: () -> [String]?) -> SniffedFormat {
        func starts(_ magic: [UInt8]) -> Bool { head.starts(with: magic) }
        if starts([0xFF, 0xFE]) {
            return starts([0xFF, 0xFE, 0, 0]) ? .unsupported("UTF-32 text") : .utf16(bigEndian: false)
        }
        if starts([0xFE, 0xFF]) { return .utf16(bigEndian: true) }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) {
            return zipKind(zipEntries() ?? [])
        }
        let binary: [([UInt8], String)] = [
            (Array("%PDF".utf8), "a PDF document"),
            ([0x1F, 0x8B], "a gzip-compressed file"),
            (
                [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1],
                "an Excel 97-2003 workbook (XLS) or another OLE document"
            ),
            (Array("BZh".utf8), "a bzip2-compressed file"),
            ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C], "a 7-Zip archive"),
            (Array("Rar!".utf8), "a RAR archive"),
            ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "an xz-compressed file"),
            ([0x89, 0x50, 0x4E, 0x47], "a PNG image"),
            ([0xFF, 0xD8, 0xFF], "a JPEG image"),
            (Array("{\\rtf".utf8), "an RTF document"),
            (Array("SQLite format 3".utf8), "an SQLite database"),
        ]
        for (magic, name) in binary where starts(magic) { return .unsupported(name) }
        return textKind(head)
    }

    /// XLSX, or the other ZIP-based documents a county might send instead.
    private static func zipKind(_ entries: [String]) -> SniffedFormat {
        let names = Set(entries)
        if names.contains("xl/workbook.xml") { return .xlsx }
        if entries.contains(where: { $0.hasPrefix("word/") }) { return .unsupported("a Word document (DOCX)") }
        if entries.contains(where: { $0.hasPrefix("ppt/") }) { return .unsupported("a PowerPoint file (PPTX)") }
        if names.contains("mimetype"), names.contains("content.xml") {
            return .unsupported("an OpenDocument file (ODS or ODT)")
        }
        return .unsupported("a ZIP archive that is not an XLSX workbook")
    }

    /// JSON by its first character; markup that spreadsheet programs save under a `.xls` name; else text.
    private static func textKind(_ head: [UInt8]) -> SniffedFormat {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let start = bytes.drop { [9, 10, 13, 32].contains($0) }
        guard let first = start.first else { return .text }
        if first == UInt8(ascii: "[") { return .jsonArray }
        if first == UInt8(ascii: "{") { return .jsonLines }
        if first == UInt8(ascii: "<") {
            let lower = String(decoding: start.prefix(512), as: UTF8.self).lowercased()
            if lower.contains("urn:schemas-microsoft-com:office:spreadsheet") {
                return .unsupported("an Excel 2003 XML spreadsheet")
            }
            if lower.contains("<html") || lower.contains("<!doctype html") || lower.contains("<table") {
                return .unsupported("an HTML page (a web page saved with a spreadsheet's name)")
            }
            return .unsupported("an XML document")
        }
        // UTF-16 without a byte-order mark: every other byte of ASCII text is NUL.
        let sample = Array(start.prefix(64))
        if sample.count >= 8, stride(from: 1, to: sample.count, by: 2).allSatisfy({ sample[$0] == 0 }) {
            return .unsupported("UTF-16 text without a byte-order mark")
        }
        return .text
    }
}

/// Opens the right `RecordSource` for an input and a source config.
enum RecordSources {
    /// The bytes looked at to tell the format.
    static let sniffBytes = 4096

    /// Sniffs the file and opens it; wraps it in the config's transforms.
    /// - Throws: `InputError` when the file is unusable, or `.unsupportedFormat` naming what it looks like.
    static func open(_ input: InputLocation, config: SourceConfig) throws(InputError) -> any RecordSource {
        let source = try openUntransformed(input, config: config)
        guard !config.reading.transforms.isEmpty else { return source }
        return TransformingSource(source, transforms: config.reading.transforms)
    }

    private static func openUntransformed(_ input: InputLocation, config: SourceConfig) throws(InputError)
        -> any RecordSource
    {
        var dialect = config.dialect
        dialect.headerLine = config.reading.headerLine
        let head = try InputBytes.head(input, count: sniffBytes)
        let format = FormatSniffer.sniff(head) { try? InputBytes.zipEntryNames(input) }
        switch format {
        case .text:
            if let layout = config.reading.fixedWidth {
                return try FixedWidthSource(input, layout: layout, encoding: dialect.encoding)
            }
            return try CSVReader(path: input.path, displayName: input.name, dialect: dialect)
        case .utf16(let bigEndian):
            let text = try InputBytes.utf8(fromUTF16: InputBytes.all(input), bigEndian: bigEndian, file: input.name)
            dialect.encoding = .utf8
            return try CSVReader(text: text, file: input.name, dialect: dialect)
        case .xlsx:
            return try XLSXSource(input, sheet: config.reading.sheet, headerLine: config.reading.headerLine)
        case .jsonArray, .jsonLines:
            return try JSONSource(input, array: format == .jsonArray)
        case .unsupported(let name):
            throw InputError(file: input.name, problem: .unsupportedFormat(looksLike: name))
        }
    }
}
