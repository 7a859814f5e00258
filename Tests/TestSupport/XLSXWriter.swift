import Foundation
import ZIPFoundation

/// Writes tiny XLSX workbooks for tests: the parts a spreadsheet program writes (content types, relations,
/// workbook, styles, shared strings, sheets), deflated in a ZIP archive.
public enum XLSXWriter {
    /// One cell as a spreadsheet program stores it.
    public enum Cell: Sendable {
        /// A shared string.
        case text(String)
        /// An inline string (`t="inlineStr"`), as some exporters write.
        case inline(String)
        case number(Double)
        /// An Excel serial date with a date style (`m/d/yyyy`, built-in format 14).
        case date(Double)
        /// An Excel serial date-time with a date-time style (built-in format 22).
        case dateTime(Double)
        case bool(Bool)
        case empty
    }

    /// A sheet: its name and rows; `firstRow` is the sheet row the first one goes on.
    public struct Sheet: Sendable {
        public var name: String
        public var rows: [[Cell]]
        public var firstRow: Int

        public init(name: String, rows: [[Cell]], firstRow: Int = 1) {
            self.name = name
            self.rows = rows
            self.firstRow = firstRow
        }
    }

    /// Writes `sheets` to `url` (replacing it); `replacing` swaps whole parts by path (a hostile workbook).
    public static func write(
        _ sheets: [Sheet], to url: URL, date1904: Bool = false, replacing overrides: [String: String] = [:]
    ) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        var strings: [String] = []
        var parts: [(String, String)] = [
            ("[Content_Types].xml", contentTypes(sheets.count)),
            ("_rels/.rels", rootRelations),
            ("xl/workbook.xml", workbook(sheets, date1904: date1904)),
            ("xl/_rels/workbook.xml.rels", workbookRelations(sheets.count)),
            ("xl/styles.xml", styles),
        ]
        for (i, sheet) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(i + 1).xml", worksheet(sheet, strings: &strings)))
        }
        parts.append(("xl/sharedStrings.xml", sharedStrings(strings)))
        for (path, text) in parts { try add(archive, path, overrides[path] ?? text) }
    }

    /// Writes a plain ZIP archive of text files (e.g. a CSV zipped by a county's mail gateway).
    public static func zip(_ files: [String: String], to url: URL) throws {
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in files.sorted(by: { $0.key < $1.key }) { try add(archive, path, text) }
    }

    private static func add(_ archive: Archive, _ path: String, _ text: String) throws {
        let data = Data(text.utf8)
        try archive.addEntry(
            with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate
        ) { position, size in
            data.subdata(in: Int(position)..<Int(position) + size)
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func contentTypes(_ count: Int) -> String {
        let sheets = (1...max(count, 1)).map {
            "<Override PartName=\"/xl/worksheets/sheet\($0).xml\" "
                + "ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
            <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
            <Default Extension="xml" ContentType="application/xml"/>\
            <Override PartName="/xl/workbook.xml" \
            ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
            \(sheets)</Types>
            """
    }

    static let rootRelations = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
        <Relationship Id="rId1" \
        Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
        Target="xl/workbook.xml"/></Relationships>
        """

    static func workbook(_ sheets: [Sheet], date1904: Bool) -> String {
        let list = sheets.enumerated().map { i, sheet in
            "<sheet name=\"\(escape(sheet.name))\" sheetId=\"\(i + 1)\" r:id=\"rId\(i + 1)\"/>"
        }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
            xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
            <workbookPr date1904="\(date1904 ? 1 : 0)"/><sheets>\(list)</sheets></workbook>
            """
    }

    static func workbookRelations(_ count: Int) -> String {
        let base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        var list = (1...max(count, 1)).map {
            "<Relationship Id=\"rId\($0)\" Type=\"\(base)/worksheet\" Target=\"worksheets/sheet\($0).xml\"/>"
        }
        list.append("<Relationship Id=\"rId\(count + 1)\" Type=\"\(base)/styles\" Target=\"styles.xml\"/>")
        list.append(
            "<Relationship Id=\"rId\(count + 2)\" Type=\"\(base)/sharedStrings\" Target=\"sharedStrings.xml\"/>")
        return """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            \(list.joined())</Relationships>
            """
    }

    /// Style 0 general, 1 a date (format 14), 2 a date-time (format 22).
    static let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
        <fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill/></fills>\
        <borders count="1"><border/></borders>\
        <cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>\
        <cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>\
        <xf numFmtId="22" applyNumberFormat="1"/></cellXfs></styleSheet>
        """

    static func worksheet(_ sheet: Sheet, strings: inout [String]) -> String {
        var rows = ""
        for (i, cells) in sheet.rows.enumerated() {
            let r = sheet.firstRow + i
            var xml = "<row r=\"\(r)\">"
            for (j, cell) in cells.enumerated() {
                let ref = "\(columnName(j))\(r)"
                switch cell {
                case .text(let s):
                    strings.append(s)
                    xml += "<c r=\"\(ref)\" t=\"s\"><v>\(strings.count - 1)</v></c>"
                case .inline(let s): xml += "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(escape(s))</t></is></c>"
                case .number(let n): xml += "<c r=\"\(ref)\"><v>\(number(n))</v></c>"
                case .date(let n): xml += "<c r=\"\(ref)\" s=\"1\"><v>\(number(n))</v></c>"
                case .dateTime(let n): xml += "<c r=\"\(ref)\" s=\"2\"><v>\(number(n))</v></c>"
                case .bool(let b): xml += "<c r=\"\(ref)\" t=\"b\"><v>\(b ? 1 : 0)</v></c>"
                case .empty: break
                }
            }
            rows += xml + "</row>"
        }
        return """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <sheetData>\(rows)</sheetData></worksheet>
            """
    }

    static func sharedStrings(_ strings: [String]) -> String {
        let items = strings.map { "<si><t xml:space=\"preserve\">\(escape($0))</t></si>" }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="\(strings.count)" \
            uniqueCount="\(strings.count)">\(items)</sst>
            """
    }

    static func number(_ n: Double) -> String { n == n.rounded() ? String(Int(n)) : String(n) }

    /// 0 → A, 25 → Z, 26 → AA.
    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }
}
