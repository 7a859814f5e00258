// How extraction works, in one file. A data engineer adding a *feed* writes YAML only (pipelines/sources/,
// see docs/adding-a-source.md); a new *format* is one type conforming to `Extractor`, listed in
// `ExtractorRegistry.builtIn`.
import LastMileCore

/// Turns one input (a file, or a folder for multi-file formats) into source records.
///
/// An extractor declares its layout (the columns or files it reads, with their defaults) and converts rows.
/// The framework does the rest: the CSV dialect, header lookup, renamed columns, date formats and code maps
/// all come from the `SourceConfig` through `MappedCSV`. Extractors never touch run state — checksums,
/// the ledger and the rejects file belong to the pipeline — and every record carries its provenance.
public protocol Extractor: Sendable {
    /// The name used in source configs and on the command line, e.g. `jail-bookings`.
    static var kind: String { get }
    /// What kind of data every record of this extractor is (consent is scoped by it).
    static var category: DataCategory { get }
    /// Columns (or files) read when a source config renames nothing; see default-layouts in the docs.
    static var defaultLayout: SourceLayout { get }
    /// Other layouts a config may choose with `layout: NAME` (e.g. `edfi`). Empty by default.
    static var otherLayouts: [SourceLayout] { get }
    /// Whether the input is one file or a folder of files.
    static var inputKind: InputKind { get }

    /// Prepares an extractor for one source. Configs are checked by `SourceConfig.validate()` first, so this
    /// throws only for what that check cannot know.
    init(source: SourceConfig) throws

    /// Sends each usable row to `sink.accept` and each unusable one to `sink.reject`; throws `InputError`
    /// only when the whole input is unusable (no header, a required column missing, not text). Errors thrown
    /// by the sink (e.g. a row limit) end the extraction and propagate.
    func extract(_ input: InputLocation, into sink: inout some RecordSink) throws
}

extension Extractor {
    public static var otherLayouts: [SourceLayout] { [] }
    public static var inputKind: InputKind { .file }

    /// Every layout, the default first.
    public static var layouts: [SourceLayout] { [defaultLayout] + otherLayouts }

    /// The layout a config names (nil: the default); nil when the name is unknown.
    public static func layout(named name: String?) -> SourceLayout? {
        guard let name else { return defaultLayout }
        return layouts.first { $0.name == name }
    }
}

/// Whether an extractor reads a file or a folder.
public enum InputKind: String, Sendable {
    case file, folder
}

/// One input to extract: where it is and the name used in provenance and messages.
public struct InputLocation: Sendable, Hashable {
    public var path: String
    /// Relative to the input root (by default the last path component); it appears in `Provenance.file`.
    public var name: String

    public init(path: String, name: String? = nil) {
        var trimmed = path
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
        self.name = name ?? String(trimmed.split(separator: "/").last ?? Substring(trimmed))
    }
}

/// Where an extractor sends its output: accepted records and rejected rows.
public protocol RecordSink {
    /// A usable record. Throw to stop the extraction (e.g. `--limit` reached).
    mutating func accept(_ record: SourceRecord) throws
    /// An unusable row, with its raw fields when there is one row to blame (for the 0600 rejects file only).
    mutating func reject(_ rejection: RowRejection, raw: RawRow?) throws
    /// A problem with the input as a whole that does not stop it; ignored unless the sink reports it.
    mutating func warn(_ warning: InputWarning) throws
}

/// A sink that keeps everything in memory: for tests, small files and the `extract` dry run.
public struct CollectingSink: RecordSink {
    public var records: [SourceRecord] = []
    public var rejections: [RowRejection] = []
    /// The raw row of each rejection, same order. Personal data: for tests and the rejects file only.
    public var rawRows: [RawRow?] = []
    public var warnings: [InputWarning] = []

    public init() {}

    public mutating func warn(_ warning: InputWarning) { warnings.append(warning) }

    public mutating func accept(_ record: SourceRecord) { records.append(record) }

    public mutating func reject(_ rejection: RowRejection, raw: RawRow?) {
        rejections.append(rejection)
        rawRows.append(raw)
    }
}
