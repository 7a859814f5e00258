import LastMileCore
import YAMLConfig
import Yams

/// How a source's files are read beyond the CSV dialect: where the header is, which sheet, fixed-width
/// positions, and the transforms applied before the mapping.
///
/// ```yaml
/// header_line: 2                          # a title line above the header (CSV, UTF-16 text, XLSX)
/// xlsx: { sheet: Roster }                 # a workbook's sheet by name (default: the first)
/// fixed_width:                            # a fixed-width text file: fields by 1-based character position
///   skip_lines: 1
///   fields:
///     booking_number: { start: 1, width: 10 }
/// transforms:
///   - split: { column: Client Name, separator: ",", into: [last_name, first_name] }
///   - constant: { into: record_type, value: by-name-list }
/// ```
public struct ReadingOptions: Sendable, Hashable {
    /// The physical line (sheet row) of the header; the lines above it are skipped. 1 by default.
    public var headerLine = 1
    /// An XLSX workbook's sheet; nil for the first.
    public var sheet: String?
    /// Set when the source sends fixed-width text.
    public var fixedWidth: FixedWidthLayout?
    public var transforms: [Transform] = []
    /// Each transform's index in the config's `transforms:` list (items with problems are left out), for messages.
    var transformItems: [Int] = []

    public init(
        headerLine: Int = 1, sheet: String? = nil, fixedWidth: FixedWidthLayout? = nil, transforms: [Transform] = []
    ) {
        self.headerLine = headerLine
        self.sheet = sheet
        self.fixedWidth = fixedWidth
        self.transforms = transforms
    }

    public static func == (a: ReadingOptions, b: ReadingOptions) -> Bool {
        (a.headerLine, a.sheet, a.fixedWidth, a.transforms) == (b.headerLine, b.sheet, b.fixedWidth, b.transforms)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(headerLine)
        hasher.combine(sheet)
        hasher.combine(fixedWidth)
        hasher.combine(transforms)
    }
}

extension SourceConfig {
    /// The top-level keys `readReading` reads.
    static let readingKeys = ["header_line", "xlsx", "fixed_width", "transforms"]

    /// The transform kinds, as written in a config.
    static let transformKinds = ["constant", "split", "concat", "trim", "default", "map"]

    /// Reads `header_line`, `xlsx`, `fixed_width` and `transforms`, reporting each problem at its own node.
    static func readReading(_ top: ConfigMapping, _ reader: inout YAMLConfigReader) -> ReadingOptions {
        var options = ReadingOptions()
        if let line = reader.int(
            top["header_line"], "header_line", in: 1...1000, expected: "the header's line number, 1 to 1000")
        {
            options.headerLine = line
        }
        if let xlsx = reader.mapping(top["xlsx"], "xlsx", keys: ["sheet"]) {
            options.sheet = reader.string(xlsx["sheet"], "xlsx.sheet")
        }
        options.fixedWidth = readFixedWidth(top["fixed_width"], &reader)
        let items = reader.sequence(top["transforms"], "transforms", expected: "a list of transforms") ?? []
        for (i, item) in items.enumerated() {
            if let transform = readTransform(item, "transforms[\(i)]", &reader) {
                options.transforms.append(transform)
                options.transformItems.append(i)
            }
        }
        return options
    }

    private static func readFixedWidth(_ node: Node?, _ reader: inout YAMLConfigReader) -> FixedWidthLayout? {
        guard let map = reader.mapping(node, "fixed_width", keys: ["skip_lines", "fields"]) else { return nil }
        let skip = reader.int(
            map["skip_lines"], "fixed_width.skip_lines", in: 0...1000, expected: "a number of lines, 0 to 1000")
        var fields: [FixedWidthField] = []
        let expected = "a mapping of field name to { start, width }"
        let pairs = reader.anyMapping(map["fields"], "fixed_width.fields", expected: expected)
        if pairs == nil, map["fields"] == nil {
            reader.report(at: "fixed_width", "missing fields; expected \(expected)")
        }
        for (name, value) in pairs ?? [] {
            let path = "fixed_width.fields.\(name)"
            guard let spec = reader.mapping(value, path, keys: ["start", "width"], required: true) else { continue }
            let start = reader.int(
                spec["start"], "\(path).start", in: 1...100_000, expected: "a 1-based character position",
                required: true)
            let width = reader.int(
                spec["width"], "\(path).width", in: 1...100_000, expected: "a number of characters", required: true)
            if let start, let width { fields.append(FixedWidthField(name: name, start: start, width: width)) }
        }
        return FixedWidthLayout(skipLines: skip ?? 0, fields: fields)
    }

    /// One item of `transforms:`: a mapping with exactly one transform kind.
    private static func readTransform(_ node: Node, _ path: String, _ reader: inout YAMLConfigReader) -> Transform? {
        let expected = "a transform: one of \(transformKinds.joined(separator: ", ")) with its settings"
        guard let item = reader.mapping(node, path, keys: transformKinds, expected: expected) else { return nil }
        let kinds = transformKinds.filter { item[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first else {
            if item.values.isEmpty && item.node.mapping?.isEmpty != false {
                reader.report(node, path, "expected \(expected)")
            }
            if kinds.count > 1 {
                reader.report(node, path, "one transform per list item; found \(kinds.joined(separator: ", "))")
            }
            return nil
        }
        let at = "\(path).\(kind)"
        var settings = TransformSettings(node: item[kind], path: at)
        switch kind {
        case "constant":
            guard let map = settings.open(["into", "value"], &reader) else { return nil }
            guard let into = reader.string(map["into"], "\(at).into", required: true),
                let value = reader.string(map["value"], "\(at).value", required: true)
            else { return nil }
            return .constant(into: into, value: value)
        case "split":
            guard let map = settings.open(["column", "separator", "at", "into"], &reader) else { return nil }
            let column = reader.string(map["column"], "\(at).column", required: true)
            let separator = rawText(map["separator"], "\(at).separator", &reader) ?? ","
            let into = twoNames(map["into"], "\(at).into", &reader)
            var atLast = false
            if let position = map["at"] {
                switch position.scalar?.string {
                case "first": atLast = false
                case "last": atLast = true
                default: reader.report(position, "\(at).at", "expected first or last")
                }
            }
            guard let column, let into else { return nil }
            return .split(column: column, separator: separator, atLast: atLast, into: into)
        case "concat":
            guard let map = settings.open(["columns", "separator", "into"], &reader) else { return nil }
            let columns = reader.strings(map["columns"], "\(at).columns", required: true)
            let separator = rawText(map["separator"], "\(at).separator", &reader) ?? " "
            guard let into = reader.string(map["into"], "\(at).into", required: true), let columns else { return nil }
            if columns.count < 2 { reader.report(map["columns"], "\(at).columns", "expected two or more columns") }
            return .concat(columns: columns, separator: separator, into: into)
        case "trim":
            guard let map = settings.open(["columns", "characters"], &reader) else { return nil }
            let columns = reader.strings(map["columns"], "\(at).columns", required: true)
            let characters = rawText(map["characters"], "\(at).characters", &reader) ?? ""
            guard let columns else { return nil }
            return .trim(columns: columns, characters: characters)
        case "default":
            guard let map = settings.open(["column", "value"], &reader) else { return nil }
            guard let column = reader.string(map["column"], "\(at).column", required: true),
                let value = reader.string(map["value"], "\(at).value", required: true)
            else { return nil }
            return .defaultValue(column: column, value: value)
        default:
            return readMap(&settings, at, &reader)
        }
    }

    private static func readMap(_ settings: inout TransformSettings, _ at: String, _ reader: inout YAMLConfigReader)
        -> Transform?
    {
        guard let map = settings.open(["column", "values", "unmapped", "into"], &reader) else { return nil }
        let column = reader.string(map["column"], "\(at).column", required: true)
        var values: [String: String] = [:]
        let expected = "a mapping of this feed's value to the value to use"
        if map["values"] == nil { reader.report(at: at, "missing values; expected \(expected)") }
        for (code, target) in reader.anyMapping(map["values"], "\(at).values", expected: expected) ?? [] {
            if let v = reader.string(target, "\(at).values.\(code)") { values[code] = v }
        }
        var reject = false
        if let unmapped = map["unmapped"] {
            switch unmapped.scalar?.string {
            case "keep": reject = false
            case "reject": reject = true
            default: reader.report(unmapped, "\(at).unmapped", "expected keep or reject")
            }
        }
        let into = map["into"] == nil ? nil : reader.string(map["into"], "\(at).into")
        guard let column else { return nil }
        return .map(column: column, values: values, rejectUnmapped: reject, into: into)
    }

    /// A text value kept as written (a separator may be a space, or empty).
    private static func rawText(_ node: Node?, _ path: String, _ reader: inout YAMLConfigReader) -> String? {
        guard let node else { return nil }
        guard let scalar = node.scalar else {
            reader.report(node, path, "expected a text value in quotes, e.g. \", \"")
            return nil
        }
        return scalar.string
    }

    /// Exactly two field names.
    private static func twoNames(_ node: Node?, _ path: String, _ reader: inout YAMLConfigReader) -> [String]? {
        guard let names = reader.strings(node, path, required: true) else { return nil }
        guard names.count == 2 else {
            reader.report(node, path, "expected two field names, e.g. [last_name, first_name]")
            return nil
        }
        return names
    }

    // MARK: - Validation against the extractor

    /// Problems of the reading options that need the extractor: a folder format takes none, a fixed-width
    /// source no `header_line`, a constant or default written into a code column must be a known code, and
    /// a code column joined from other columns needs its codes mapped.
    func readingProblems(_ type: any Extractor.Type, _ layout: SourceLayout) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func problem(_ path: String, _ message: String) {
            problems.append(ConfigProblem(file: file, keyPath: path, at: position(of: path), message: message))
        }
        if type.inputKind == .folder {
            for key in Self.readingKeys where positions[key] != nil {
                problem(key, "\(extractor) reads a fixed national format; \(key) does not apply")
            }
            return problems
        }
        if reading.fixedWidth != nil, positions["header_line"] != nil {
            problem("header_line", "a fixed-width source skips its top lines with fixed_width.skip_lines")
        }
        for (k, transform) in reading.transforms.enumerated() {
            let i = k < reading.transformItems.count ? reading.transformItems[k] : k
            let (kind, value): (String, String)
            switch transform {
            case .constant(_, let v): (kind, value) = ("constant", v)
            case .defaultValue(_, let v): (kind, value) = ("default", v)
            case .concat(_, _, let into):
                if let message = unmappedConcat(into: into, layout) { problem("transforms[\(i)].concat.into", message) }
                continue
            default: continue
            }
            guard let output = transform.outputs.first, let spec = codeColumn(named: output, in: layout),
                case .code(let values, let defaults, _) = spec.kind
            else { continue }
            let codes = defaults.merging(codes[spec.name] ?? [:]) { $1 }
            let known = codes.keys.contains { $0.lowercased() == value.lowercased() }
            if !known {
                problem(
                    "transforms[\(i)].\(kind).value",
                    "not a code of \(spec.name); expected one of \(Set(codes.keys).sorted().joined(separator: ", "))"
                        + (values.contains(value) ? " (add it under codes.\(spec.name))" : ""))
            }
        }
        return problems
    }

    /// A code column built by joining columns holds codes of the feed's own making (Infinite Campus's `A` + `U`
    /// is `AU`), which no layout's map knows: without a `codes:` entry for that column every row is rejected.
    private func unmappedConcat(into field: String, _ layout: SourceLayout) -> String? {
        guard let spec = codeColumn(named: field, in: layout), case .code(let values, _, _) = spec.kind,
            (codes[spec.name] ?? [:]).isEmpty
        else { return nil }
        return "builds \(spec.name) from joined columns, but codes.\(spec.name) maps none of the codes it makes: "
            + "add codes: { \(spec.name): { CODE: VALUE } } with each joined code (lastmile profile lists them) "
            + "and one of \(values.joined(separator: ", "))"
    }

    /// The layout's code column that a field of this name feeds (by its configured or default header).
    private func codeColumn(named field: String, in layout: SourceLayout) -> ColumnSpec? {
        let key = CSVReader.normalize(header: field)
        return layout.columns.first { spec in
            guard case .code = spec.kind else { return false }
            let headers = columns[spec.name]?.header.map { [$0] } ?? [spec.header] + spec.aliases
            return headers.contains { CSVReader.normalize(header: $0) == key }
        }
    }
}

/// A transform's settings mapping, opened once with its keys.
private struct TransformSettings {
    let node: Node?
    let path: String

    mutating func open(_ keys: [String], _ reader: inout YAMLConfigReader) -> ConfigMapping? {
        reader.mapping(
            node, path, keys: keys, required: true, expected: "a mapping with \(keys.joined(separator: ", "))")
    }
}
