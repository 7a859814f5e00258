import Foundation
import LastMileCore
import Yams

/// One source's declarative config, `pipelines/sources/<name>.yaml`: which extractor reads it and how.
///
/// ```yaml
/// source: riverside-usd                  # the source's name; also the file's name
/// extractor: school-attendance
/// category: education                    # education | shelter | justice | housing
/// agreement: riverside-usd-dsa-2026      # the data-sharing agreement the data arrives under
/// layout: edfi                           # optional: another layout of the extractor
/// input: sample-data/inbox/riverside-usd/*.csv
/// csv: { delimiter: "|", encoding: windows-1252 }
/// columns:                               # lastmile column: this feed's header
///   student_id: StuNum
///   birth_date: { header: DOB, formats: ["MM/DD/YYYY", "YYYY-MM-DD"] }
///   guardian_phone: { required: true }
/// codes:
///   attendance_code: { U: absent-unexcused, X: absent-excused }
/// labels: [sealed]                       # restriction labels put on every record of this source
/// ```
/// `load(path:)` reports every problem at once, each with the file and key path.
public struct SourceConfig: Sendable {
    /// A column's settings as the config gives them; nil fields keep the layout's default.
    public struct ColumnOverride: Sendable, Hashable {
        public var header: String?
        public var formats: [String]?
        public var required: Bool?

        public init(header: String? = nil, formats: [String]? = nil, required: Bool? = nil) {
            self.header = header
            self.formats = formats
            self.required = required
        }
    }

    /// The source's name (`source:`), e.g. `riverside-usd`; records carry it.
    public var name: String
    /// The extractor kind, e.g. `school-attendance`.
    public var extractor: String
    public var category: DataCategory?
    /// The data-sharing agreement id; required in committed configs, absent for `--extractor` dry runs.
    public var agreement: String?
    /// Another layout of the extractor (`edfi`); nil for the default.
    public var layout: String?
    /// Where the pipeline finds the source's files (a glob); informational for `extract`.
    public var input: String?
    public var description: String?
    public var dialect: CSVDialect
    public var columns: [String: ColumnOverride]
    /// Column → (source code → lastmile value), merged over the layout's default map.
    public var codes: [String: [String: String]]
    public var labels: Set<RestrictionLabel>
    /// The file the config came from (for messages), or `<built-in>`.
    public var file: String

    public init(
        name: String, extractor: String, category: DataCategory? = nil, agreement: String? = nil,
        layout: String? = nil, input: String? = nil, description: String? = nil, dialect: CSVDialect = CSVDialect(),
        columns: [String: ColumnOverride] = [:], codes: [String: [String: String]] = [:],
        labels: Set<RestrictionLabel> = [], file: String = "<built-in>"
    ) {
        self.name = name
        self.extractor = extractor
        self.category = category
        self.agreement = agreement
        self.layout = layout
        self.input = input
        self.description = description
        self.dialect = dialect
        self.columns = columns
        self.codes = codes
        self.labels = labels
        self.file = file
    }

    /// The config `--extractor KIND` uses: the extractor's default layout, named after the kind.
    public static func defaults(for kind: String) -> SourceConfig {
        SourceConfig(name: kind, extractor: kind, category: ExtractorRegistry.extractor(kind: kind)?.category)
    }

    /// The restriction labels a config may name.
    public static let knownLabels: [RestrictionLabel] = [
        .victimServiceProvider, .juvenile, .ferpaBasisMissing, .sealed, .currentlyFleeing,
    ]

    // MARK: - Loading

    /// Reads, parses and validates a config file.
    /// - Throws: `SourceConfigError` with every problem found (exit status 78).
    public static func load(path: String) throws(SourceConfigError) -> SourceConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SourceConfigError(problems: [ConfigProblem(file: path, keyPath: "", message: "cannot read the file")])
        }
        let (config, problems) = parse(yaml: text, file: path)
        var all = problems
        if let config {
            all += config.validate()
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            if stem != config.name {
                all.append(ConfigProblem(file: path, keyPath: "source", message: "the file must be named \(config.name).yaml after its source"))
            }
        }
        guard let config, all.isEmpty else { throw SourceConfigError(problems: all) }
        return config
    }

    /// Parses YAML into a config, collecting structural problems (unknown keys, wrong types).
    /// Returns nil when the document is not a mapping with `source` and `extractor`.
    public static func parse(yaml: String, file: String) -> (SourceConfig?, [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        // libyaml puts an error, or a node (an empty value), at the end of the text on the line after the
        // last, which the file does not have; messages name the last line instead.
        let lastLine = YAMLText.lastLine(of: yaml)
        func problem(_ path: String, _ node: Node?, _ message: String) {
            let line = node?.mark.map { min($0.line, lastLine) }
            problems.append(ConfigProblem(file: file, keyPath: path, line: line, message: message))
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                problem("", nil, "the file is empty; expected a mapping with source, extractor, category, agreement")
                return (nil, problems)
            }
            root = node
        } catch {
            let line = (error as? YamlError).flatMap(Self.line(of:)).map { min($0, lastLine) }
            problems.append(ConfigProblem(file: file, keyPath: "", line: line, message: "not valid YAML"))
            return (nil, problems)
        }
        guard let mapping = root.mapping else {
            problem("", root, "expected a mapping with source, extractor, category, agreement")
            return (nil, problems)
        }
        let topKeys = ["source", "extractor", "category", "agreement", "layout", "input", "description", "owner",
                       "csv", "columns", "codes", "labels"]
        var values: [String: Node] = [:]
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                problem("", keyNode, "keys must be plain words")
                continue
            }
            guard topKeys.contains(key) else {
                problem(key, keyNode, "unknown key" + suggestion(key, topKeys))
                continue
            }
            values[key] = value
        }
        func string(_ key: String, required: Bool) -> String? {
            guard let node = values[key] else {
                if required { problem(key, root, "missing; required") }
                return nil
            }
            guard let s = node.scalar?.string, !s.isEmpty else {
                problem(key, node, "expected a non-empty string")
                return nil
            }
            return s
        }
        let name = string("source", required: true)
        let extractor = string("extractor", required: true)
        let agreement = string("agreement", required: true)
        var category: DataCategory?
        if let c = string("category", required: true) {
            category = DataCategory(rawValue: c)
            if category == nil {
                problem("category", values["category"], "expected one of \(DataCategory.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let name, name.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) == nil {
            problem("source", values["source"], "expected kebab-case (lower-case letters, digits, hyphens)")
        }
        var dialect = CSVDialect()
        if let csv = values["csv"] {
            if let m = csv.mapping {
                for (k, v) in m {
                    let key = k.scalar?.string ?? ""
                    switch key {
                    case "delimiter":
                        let text = v.scalar?.string ?? ""
                        let named: [String: UInt8] = ["comma": 44, "tab": 9, "\\t": 9, "pipe": 124, "semicolon": 59]
                        if let d = named[text.lowercased()] ?? (text.utf8.count == 1 ? text.utf8.first : nil),
                            CSVDialect.allowedDelimiters.contains(d)
                        {
                            dialect.delimiter = d
                        } else {
                            problem("csv.delimiter", v, "expected one of \",\" \"\\t\" \"|\" \";\" (or comma, tab, pipe, semicolon)")
                        }
                    case "encoding":
                        if let e = v.scalar.flatMap({ TextEncoding(configName: $0.string) }) {
                            dialect.encoding = e
                        } else {
                            problem("csv.encoding", v, "expected one of utf-8, windows-1252, latin-1")
                        }
                    case "max_field_bytes":
                        if let n = v.int, n >= 1024 {
                            dialect.maxFieldBytes = n
                        } else {
                            problem("csv.max_field_bytes", v, "expected a whole number of bytes, at least 1024")
                        }
                    default:
                        problem("csv.\(key)", k, "unknown key" + suggestion(key, ["delimiter", "encoding", "max_field_bytes"]))
                    }
                }
            } else {
                problem("csv", csv, "expected a mapping with delimiter, encoding, max_field_bytes")
            }
        }
        var columns: [String: ColumnOverride] = [:]
        if let node = values["columns"] {
            if let m = node.mapping {
                for (k, v) in m {
                    let column = k.scalar?.string ?? ""
                    let path = "columns.\(column)"
                    if let header = v.scalar?.string {
                        if header.isEmpty { problem(path, v, "expected the header in this feed's file") }
                        columns[column] = ColumnOverride(header: header)
                    } else if let settings = v.mapping {
                        var o = ColumnOverride()
                        for (sk, sv) in settings {
                            let setting = sk.scalar?.string ?? ""
                            switch setting {
                            case "header":
                                if let h = sv.scalar?.string, !h.isEmpty { o.header = h } else { problem("\(path).header", sv, "expected a non-empty string") }
                            case "formats":
                                if let list = sv.sequence?.map({ $0.scalar?.string }), !list.isEmpty, list.allSatisfy({ $0 != nil }) {
                                    o.formats = list.compactMap { $0 }
                                } else if let one = sv.scalar?.string {
                                    o.formats = [one]
                                } else {
                                    problem("\(path).formats", sv, "expected a list of date formats, e.g. [\"MM/DD/YYYY\"]")
                                }
                            case "required":
                                if let b = sv.scalar.flatMap({ Bool.construct(from: $0) }) { o.required = b } else { problem("\(path).required", sv, "expected true or false") }
                            default:
                                problem("\(path).\(setting)", sk, "unknown key" + suggestion(setting, ["header", "formats", "required"]))
                            }
                        }
                        columns[column] = o
                    } else {
                        problem(path, v, "expected a header name or a mapping with header, formats, required")
                    }
                }
            } else {
                problem("columns", node, "expected a mapping of lastmile column to this feed's header")
            }
        }
        var codes: [String: [String: String]] = [:]
        if let node = values["codes"] {
            if let m = node.mapping {
                for (k, v) in m {
                    let column = k.scalar?.string ?? ""
                    guard let pairs = v.mapping else {
                        problem("codes.\(column)", v, "expected a mapping of this feed's code to a lastmile value")
                        continue
                    }
                    var map: [String: String] = [:]
                    for (ck, cv) in pairs {
                        guard let code = ck.scalar?.string, let value = cv.scalar?.string else {
                            problem("codes.\(column)", ck, "expected code: value pairs of plain strings")
                            continue
                        }
                        map[code] = value
                    }
                    codes[column] = map
                }
            } else {
                problem("codes", node, "expected a mapping of column to code map")
            }
        }
        var labels: Set<RestrictionLabel> = []
        if let node = values["labels"] {
            if let list = node.sequence {
                for (i, item) in list.enumerated() {
                    let raw = item.scalar?.string ?? ""
                    let label = RestrictionLabel(rawValue: raw)
                    if knownLabels.contains(label) {
                        labels.insert(label)
                    } else {
                        problem("labels[\(i)]", item, "unknown label; expected one of \(knownLabels.map(\.rawValue).joined(separator: ", "))")
                    }
                }
            } else {
                problem("labels", node, "expected a list of restriction labels")
            }
        }
        guard let name, let extractor else { return (nil, problems) }
        let config = SourceConfig(
            name: name, extractor: extractor, category: category, agreement: agreement,
            layout: values["layout"]?.scalar?.string, input: values["input"]?.scalar?.string,
            description: values["description"]?.scalar?.string, dialect: dialect, columns: columns, codes: codes,
            labels: labels, file: file)
        var located = config
        located.keyLines = Dictionary(uniqueKeysWithValues: mapping.compactMap { k, v in
            k.scalar.map { ($0.string, min(v.mark?.line ?? 0, lastLine)) }
        })
        return (located, problems)
    }

    /// Lines of top-level keys, for messages from `validate()`.
    var keyLines: [String: Int] = [:]

    // MARK: - Validation against the extractor

    /// Checks the config against its extractor: kind, category, layout, column names, formats and codes.
    public func validate() -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        func problem(_ path: String, _ message: String) {
            let top = String(path.split(separator: ".").first ?? "")
            problems.append(ConfigProblem(file: file, keyPath: path, line: keyLines[top], message: message))
        }
        guard let type = ExtractorRegistry.extractor(kind: extractor) else {
            problem("extractor", "unknown extractor; expected one of \(ExtractorRegistry.kinds.joined(separator: ", "))")
            return problems
        }
        if let category, category != type.category {
            problem("category", "\(extractor) data is \(type.category.rawValue), not \(category.rawValue)")
        }
        guard let layout = type.layout(named: layout) else {
            problem("layout", "unknown layout; \(extractor) has \(type.layouts.map(\.name).joined(separator: ", "))")
            return problems
        }
        if type.inputKind == .folder, !columns.isEmpty || !codes.isEmpty {
            problem(columns.isEmpty ? "codes" : "columns", "\(extractor) reads a fixed national format; columns and codes cannot be remapped")
        }
        let names = layout.columns.map(\.name)
        for (column, o) in columns.sorted(by: { $0.key < $1.key }) {
            guard let spec = layout.column(column) else {
                problem("columns.\(column)", "not a column of \(extractor) (\(layout.name) layout)" + suggestion(column, names))
                continue
            }
            if let formats = o.formats {
                if !spec.isDateLike { problem("columns.\(column).formats", "only date and date-time columns take formats") }
                for (i, f) in formats.enumerated() {
                    if let format = DateFormat(f) {
                        if case .date = spec.kind, format.hasTime {
                            problem("columns.\(column).formats[\(i)]", "a date column takes a date format (no HH, mm, ss)")
                        }
                    } else {
                        problem("columns.\(column).formats[\(i)]", "not a date format; use YYYY, MM, M, DD, D, HH, H, mm, ss, a and literal separators")
                    }
                }
            }
        }
        for (column, map) in codes.sorted(by: { $0.key < $1.key }) {
            guard let spec = layout.column(column), case .code(let values, _, _) = spec.kind else {
                let codeColumns = layout.columns.filter { if case .code = $0.kind { true } else { false } }.map(\.name)
                problem("codes.\(column)", "not a code column of \(extractor); code columns: \(codeColumns.joined(separator: ", "))")
                continue
            }
            for (code, value) in map.sorted(by: { $0.key < $1.key }) where !values.contains(value) {
                problem("codes.\(column).\(code)", "unknown value; expected one of \(values.joined(separator: ", "))")
            }
        }
        return problems
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}

/// One problem in a config file: where (file, key path, line) and what was expected.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// Dotted path to the key, e.g. `columns.birth_date.formats[1]`; empty for the whole file.
    public var keyPath: String
    public var line: Int?
    public var message: String

    public init(file: String, keyPath: String, line: Int? = nil, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.message = message
    }

    public var description: String {
        file + (line.map { ":\($0)" } ?? "") + (keyPath.isEmpty ? "" : ": \(keyPath)") + ": " + message
    }
}

/// Configs with problems (exit status 78); `description` lists every problem, one a line.
public struct SourceConfigError: ClassifiedError, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public init(problems: [ConfigProblem]) { self.problems = problems }
    public var exitStatus: ExitStatus { .configuration }
    public var description: String {
        "\(problems.count) problem(s) in source configs:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// " (did you mean x?)" when a known name is within two edits.
func suggestion(_ word: String, _ candidates: [String]) -> String {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let w = Array(word)
    let best = candidates.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
    if let best, best.1 <= 2 { return " (did you mean \(best.0)?)" }
    return "; expected one of \(candidates.joined(separator: ", "))"
}
