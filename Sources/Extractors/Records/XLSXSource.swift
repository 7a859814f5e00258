import Foundation
import LastMileCore
import ZIPFoundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One sheet of an XLSX workbook (the first, or the one `xlsx.sheet` names), read as rows of text.
///
/// Shared and inline strings are resolved; a number in a cell with a date or time style is an Excel serial
/// date and reads as `YYYY-MM-DD` (`YYYY-MM-DD HH:mm:ss` with a time), in the workbook's 1900 or 1904 system;
/// booleans read `true`/`false`, error cells empty. The header is the first non-empty row at or below
/// `header_line`; a row's `line` is its row number in the sheet, as the spreadsheet program shows it.
final class XLSXSource: MaterializedSource {
    /// The most bytes one workbook part may unpack to (a guard against ZIP bombs).
    static let maxPartBytes = 256 << 20

    private var rows: [(line: Int, cells: [Int: String])] = []
    private var next = 0

    init(_ input: InputLocation, sheet: String?, headerLine: Int) throws(InputError) {
        super.init(file: input.name, format: .xlsx)
        let bytes = try InputBytes.all(input)
        do {
            let archive = try Archive(data: Data(bytes), accessMode: .read)
            let workbook = try Self.parse(WorkbookParser(), Self.part(archive, "xl/workbook.xml"))
            let relations = try Self.parse(RelationsParser(), Self.part(archive, "xl/_rels/workbook.xml.rels"))
            let target = try Self.sheetPath(workbook, relations, named: sheet)
            let strings = try Self.optionalPart(archive, "xl/sharedStrings.xml").map {
                try Self.parse(SharedStringsParser(), $0).strings
            }
            let styles = try Self.optionalPart(archive, "xl/styles.xml").map { try Self.parse(StylesParser(), $0) }
            let sheetParser = SheetParser(
                strings: strings ?? [], dateStyles: styles?.dateStyles ?? [:], date1904: workbook.date1904)
            rows = try Self.parse(sheetParser, Self.part(archive, target)).rows
        } catch let error as InputError {
            throw error
        } catch let problem as XLSXProblem {
            throw InputError(file: input.name, problem: .malformed(format: .xlsx, line: nil, detail: problem.detail))
        } catch {
            throw InputError(
                file: input.name, problem: .malformed(format: .xlsx, line: nil, detail: "the ZIP archive is damaged"))
        }
        rows.removeAll { $0.line < headerLine || $0.cells.values.allSatisfy(\.isEmpty) }
        guard !rows.isEmpty else { throw InputError(file: input.name, problem: .empty) }
        let first = rows.removeFirst()
        self.headerLine = first.line
        let headerRow = first.cells
        let width = (headerRow.keys.max() ?? -1) + 1
        setHeader((0..<width).map { headerRow[$0] ?? "" })
    }

    override func nextFields() throws(InputError) -> (line: Int, fields: [String])? {
        guard next < rows.count else { return nil }
        let (line, cells) = rows[next]
        next += 1
        return (line, header.indices.map { cells[$0] ?? "" })
    }

    // MARK: - Parts

    private struct XLSXProblem: Error {
        var detail: String
    }

    private static func optionalPart(_ archive: Archive, _ path: String) throws -> Data? {
        guard let entry = archive[path] else { return nil }
        guard entry.uncompressedSize <= maxPartBytes else {
            throw XLSXProblem(detail: "\(path) unpacks to more than \(maxPartBytes >> 20) MiB")
        }
        var data = Data()
        _ = try archive.extract(entry, skipCRC32: false) { chunk in
            data.append(chunk)
            if data.count > maxPartBytes {
                throw XLSXProblem(detail: "\(path) unpacks to more than \(maxPartBytes >> 20) MiB")
            }
        }
        return data
    }

    private static func part(_ archive: Archive, _ path: String) throws -> Data {
        guard let data = try optionalPart(archive, path) else { throw XLSXProblem(detail: "it has no \(path)") }
        return data
    }

    private static func parse<P: XLSXPartParser>(_ delegate: P, _ data: Data) throws -> P {
        let parser = XMLParser(data: data)
        // A workbook is untrusted input: no external entities or DTDs are fetched.
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        guard parser.parse() else { throw XLSXProblem(detail: "a part of it is not well-formed XML") }
        return delegate
    }

    /// The path in the archive of the sheet named `name`, or of the first sheet.
    private static func sheetPath(_ workbook: WorkbookParser, _ relations: RelationsParser, named name: String?)
        throws -> String
    {
        guard let first = workbook.sheets.first else { throw XLSXProblem(detail: "it has no sheet") }
        var chosen = first
        if let name {
            guard let match = workbook.sheets.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                let count = workbook.sheets.count
                throw XLSXProblem(
                    detail: "no sheet named \"\(name)\" (xlsx.sheet); it has \(count) sheet\(count == 1 ? "" : "s")")
            }
            chosen = match
        }
        guard let target = relations.targets[chosen.relation] else {
            throw XLSXProblem(detail: "the sheet's part is not listed in xl/_rels/workbook.xml.rels")
        }
        return target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
    }
}

// MARK: - SAX parsers of the workbook's parts

/// A parser of one part, kept as its own delegate.
protocol XLSXPartParser: XMLParserDelegate {}

/// `xl/workbook.xml`: the sheets in order, and the date system.
final class WorkbookParser: NSObject, XLSXPartParser {
    var sheets: [(name: String, relation: String)] = []
    var date1904 = false

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "sheet":
            let relation = attributes["r:id"] ?? attributes.first { $0.key.hasSuffix(":id") }?.value ?? ""
            sheets.append((attributes["name"] ?? "", relation))
        case "workbookPr":
            date1904 = ["1", "true"].contains(attributes["date1904"] ?? "")
        default:
            break
        }
    }
}

/// `xl/_rels/workbook.xml.rels`: relation id → part path.
final class RelationsParser: NSObject, XLSXPartParser {
    var targets: [String: String] = [:]

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if element == "Relationship", let id = attributes["Id"], let target = attributes["Target"] {
            targets[id] = target
        }
    }
}

/// `xl/sharedStrings.xml`: the strings cells refer to by index (rich text runs joined; phonetic runs skipped).
final class SharedStringsParser: NSObject, XLSXPartParser {
    var strings: [String] = []
    private var current = ""
    private var inText = false
    private var inPhonetic = false

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "si": current = ""
        case "t": inText = !inPhonetic
        case "rPh": inPhonetic = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        switch element {
        case "si": strings.append(current)
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

/// `xl/styles.xml`: which cell styles show numbers as dates (and whether with a time).
final class StylesParser: NSObject, XLSXPartParser {
    /// Cell style index → true when the format has a time part, for the styles that are dates or times.
    var dateStyles: [Int: Bool] = [:]
    private var customFormats: [Int: String] = [:]
    private var inCellFormats = false
    private var styleIndex = 0

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"] {
                customFormats[id] = code
            }
        case "cellXfs":
            inCellFormats = true
        case "xf" where inCellFormats:
            let id = attributes["numFmtId"].flatMap(Int.init) ?? 0
            if let withTime = Self.dateFormat(id, customFormats[id]) { dateStyles[styleIndex] = withTime }
            styleIndex += 1
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        if element == "cellXfs" { inCellFormats = false }
    }

    /// For a date or time number format: whether it shows a time; nil for any other format.
    static func dateFormat(_ id: Int, _ code: String?) -> Bool? {
        switch id {
        case 14...17: return false
        case 18...22, 45...47: return true
        default: break
        }
        guard let code else { return nil }
        // Letters outside quoted text, bracketed colours/locales and escaped characters.
        var letters = ""
        var inQuote = false
        var inBracket = false
        var escaped = false
        for c in code.lowercased() {
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                inQuote.toggle()
            } else if inQuote {
                continue
            } else if c == "[" {
                inBracket = true
            } else if c == "]" {
                inBracket = false
            } else if !inBracket {
                letters.append(c)
            }
        }
        let hasDate = letters.contains("y") || letters.contains("d")
        let hasTime = letters.contains("h") || letters.contains("s")
        guard hasDate || hasTime, !letters.contains("general") else { return nil }
        return hasTime
    }
}

/// A worksheet: each row's cells as text by 0-based column.
final class SheetParser: NSObject, XLSXPartParser {
    var rows: [(line: Int, cells: [Int: String])] = []
    private let strings: [String]
    private let dateStyles: [Int: Bool]
    private let date1904: Bool
    private var rowNumber = 0
    private var cells: [Int: String] = [:]
    private var column = -1
    private var cellType = ""
    private var cellStyle = 0
    private var text = ""
    private var collecting = false

    init(strings: [String], dateStyles: [Int: Bool], date1904: Bool) {
        self.strings = strings
        self.dateStyles = dateStyles
        self.date1904 = date1904
    }

    func parser(
        _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        switch element {
        case "row":
            rowNumber = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            cells = [:]
            column = -1
        case "c":
            column = attributes["r"].flatMap(Self.columnIndex) ?? column + 1
            cellType = attributes["t"] ?? "n"
            cellStyle = attributes["s"].flatMap(Int.init) ?? 0
            text = ""
        case "v", "t":
            collecting = true
        default:
            break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if collecting { text += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        switch element {
        case "v", "t":
            collecting = false
        case "c":
            let value = cellText()
            if !value.isEmpty { cells[column] = value }
        case "row":
            rows.append((rowNumber, cells))
        default:
            break
        }
    }

    private func cellText() -> String {
        switch cellType {
        case "s": return Int(text).flatMap { strings.indices.contains($0) ? strings[$0] : nil } ?? ""
        case "b": return text == "1" ? "true" : "false"
        case "e": return ""
        case "str", "inlineStr", "d": return text
        default:
            if let withTime = dateStyles[cellStyle], let serial = Double(text),
                let value = ExcelSerialDate.dateTime(serial, date1904: date1904)
            {
                return ExcelSerialDate.text(value, withTime: withTime)
            }
            return text
        }
    }

    /// `B7` → 1.
    static func columnIndex(_ reference: String) -> Int? {
        var index = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65, scalar.value <= 90 else { break }
            index = index * 26 + Int(scalar.value - 64)
            letters += 1
        }
        return letters > 0 ? index - 1 : nil
    }
}
