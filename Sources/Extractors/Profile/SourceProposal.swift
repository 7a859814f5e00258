import Foundation
import LastMileCore

/// `lastmile source init`: a first source config for a new feed, written from one of its files.
///
/// The CSV dialect is detected (the delimiter the header splits on most, UTF-8 or else Windows-1252), each
/// column of the extractor's layout is mapped to the closest header (`HeaderMatcher`), and the file is then
/// profiled through that mapping (`FeedProfiler`) to choose date formats and list the codes seen. Whatever
/// the file cannot decide is left as the placeholder `FILL-IN` — which `lastmile validate` refuses, naming the
/// key — with a `# TODO:` comment saying what to write. The proposal holds configured names, headers, formats
/// and short codes only (`ShortCode`): never a value that could be personal.
public struct SourceProposal: Sendable {
    /// The value left where the engineer must decide; `lastmile validate` reports each one.
    public static let placeholder = "FILL-IN"

    /// The YAML text.
    public var yaml: String
    /// Layout columns mapped to a header of the file.
    public var mappedColumns: Int
    /// `FILL-IN` values left in the text.
    public var placeholders: Int
    /// `# TODO:` comments in the text (one per unresolved choice, including each placeholder).
    public var todos: Int

    /// Date formats tried on date columns, besides the layout's defaults, in order of preference.
    static let dateCandidates = [
        "YYYY-MM-DD", "MM/DD/YYYY", "M/D/YYYY", "DD/MM/YYYY", "D/M/YYYY", "YYYYMMDD", "DD.MM.YYYY", "D.M.YYYY",
        "MM-DD-YYYY", "DD-MM-YYYY",
    ]
    /// Date-time formats tried on date-time columns, besides the layout's defaults.
    static let dateTimeCandidates = [
        "YYYY-MM-DD HH:mm:ss", "YYYY-MM-DDTHH:mm:ss", "YYYY-MM-DD HH:mm", "MM/DD/YYYY HH:mm", "M/D/YYYY H:mm",
        "M/D/YYYY H:mm a", "DD/MM/YYYY HH:mm", "D/M/YYYY H:mm",
    ]
    /// Formats that read `nn/nn` month first, and day first: which survive depends on the values' order.
    static let monthFirst: Set<String> = [
        "MM/DD/YYYY", "M/D/YYYY", "MM-DD-YYYY", "MM/DD/YYYY HH:mm", "M/D/YYYY H:mm", "M/D/YYYY H:mm a",
    ]
    static let dayFirst: Set<String> = [
        "DD/MM/YYYY", "D/M/YYYY", "DD.MM.YYYY", "D.M.YYYY", "DD-MM-YYYY", "DD/MM/YYYY HH:mm", "D/M/YYYY H:mm",
    ]

    /// Proposes a config named `name` for the feed `input`, read by extractor `kind` (and `layout`, nil for the
    /// default).
    /// - Throws: `InputError` when the file is unusable or its first line looks like data (no header row).
    public static func propose(
        _ input: InputLocation, kind: String, layout layoutName: String? = nil, name: String
    ) throws(InputError) -> SourceProposal {
        guard let type = ExtractorRegistry.extractor(kind: kind), let layout = type.layout(named: layoutName) else {
            throw InputError(file: input.name, problem: .wrongKind(expected: "a file of a known extractor"))
        }
        let (dialect, encodingTODO) = try detectDialect(input)
        let header = try CSVReader(path: input.path, displayName: input.name, dialect: dialect).header
        if looksLikeData(header) {
            throw InputError(
                file: input.name,
                problem: .wrongKind(
                    expected: "a header row on line 1 (its first line holds values, a date or a number, not names)"))
        }
        let matches = HeaderMatcher.match(header: header, layout: layout)
        var config = SourceConfig(name: name, extractor: kind, category: type.category, layout: layoutName)
        config.dialect = dialect
        for spec in layout.columns {
            // A column with no header gets one no file has, so the profiler does not find it by its default.
            var o = SourceConfig.ColumnOverride(header: matches[spec.name].map { header[$0.index] } ?? "\u{1}")
            if spec.isDateLike { o.formats = candidates(for: spec) }
            config.columns[spec.name] = o
        }
        let profile = try FeedProfiler.profile(input, config: config, layout: layout)
        var writer = ProposalWriter(
            name: name, kind: kind, category: type.category, layoutName: layoutName, layout: layout, header: header,
            matches: matches, profile: profile, dialect: dialect, input: input)
        if let encodingTODO { writer.encodingTODO = encodingTODO }
        writer.betterLayout = betterLayout(than: layout, of: type, header: header)
        return writer.write()
    }

    /// Another layout of the extractor more of whose own headers (or aliases) the file has: the name to pass
    /// as `--layout` (e.g. `edfi` for an Ed-Fi export), with how many headers each has; nil when none has more.
    static func betterLayout(
        than layout: SourceLayout, of type: any Extractor.Type, header: [String]
    ) -> (name: String, exact: Int, current: Int)? {
        let folded = Set(header.map(CSVReader.normalize(header:)))
        func own(_ l: SourceLayout) -> Int {
            l.columns.filter { spec in
                ([spec.header] + spec.aliases).contains { folded.contains(CSVReader.normalize(header: $0)) }
            }.count
        }
        let current = own(layout)
        let others = type.layouts.filter { $0.name != layout.name }.map { (name: $0.name, exact: own($0)) }
        guard let best = others.max(by: { $0.exact < $1.exact }), best.exact > current else { return nil }
        return (best.name, best.exact, current)
    }

    /// The layout's formats for a date column, then the candidates, valid for its kind.
    static func candidates(for spec: ColumnSpec) -> [String] {
        switch spec.kind {
        case .date(let defaults): return unique(defaults + dateCandidates)
        case .dateTime(let defaults): return unique(defaults + dateTimeCandidates)
        default: return []
        }
    }

    private static func unique(_ list: [String]) -> [String] {
        var seen: Set<String> = []
        return list.filter { seen.insert($0).inserted }
    }

    /// The delimiter the header splits on most, and UTF-8 unless the file's first megabytes are not UTF-8
    /// (then Windows-1252, with a TODO: latin-1 is the other choice).
    static func detectDialect(_ input: InputLocation) throws(InputError) -> (CSVDialect, String?) {
        var dialect = CSVDialect()
        var todo: String?
        if let handle = FileHandle(forReadingAtPath: input.path) {
            let sample = (try? handle.read(upToCount: 4 << 20)) ?? Data()
            try? handle.close()
            if !isUTF8(sample) {
                dialect.encoding = .windows1252
                todo = "the file is not UTF-8; windows-1252 assumed (latin-1 if the sender says ISO 8859-1)"
            }
        }
        let first = try CSVReader(path: input.path, displayName: input.name, dialect: dialect)
        if let detected = first.headerShape.detected { dialect.delimiter = detected }
        return (dialect, todo)
    }

    /// Whether `data` is UTF-8 (a character cut at the end of the sample does not count).
    static func isUTF8(_ data: Data) -> Bool {
        for cut in 0...3 where data.count >= cut {
            if String(validating: data.dropLast(cut), as: UTF8.self) != nil { return true }
        }
        return false
    }

    /// True when the first line holds values, not names: a date, or a number of four digits or more.
    static func looksLikeData(_ header: [String]) -> Bool {
        let formats = FeedProfiler.standardDateFormats.compactMap(DateFormat.init)
        return header.contains { cell in
            DateParsing.parse(cell, formats) != nil || (cell.count >= 4 && cell.allSatisfy(\.isNumber))
        }
    }
}
