/// The columns (or files) an extractor reads, with the defaults a source config may override.
public struct SourceLayout: Sendable {
    /// `default`, or the name a config chooses with `layout:` (e.g. `edfi`).
    public var name: String
    public var columns: [ColumnSpec]
    /// For folder inputs: the files read, e.g. `Client.csv`.
    public var files: [String]

    public init(name: String = "default", columns: [ColumnSpec], files: [String] = []) {
        self.name = name
        self.columns = columns
        self.files = files
    }

    public func column(_ name: String) -> ColumnSpec? { columns.first { $0.name == name } }
}

/// One column of a layout: its lastmile name, default header and how its values are read.
public struct ColumnSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case text
        /// A date in the first of the formats that fits.
        case date(formats: [String])
        case dateTime(formats: [String])
        case integer
        /// A code mapped to one of `values` through `defaults` (source code → value) and the config's `codes:`.
        /// Matching ignores case and surrounding spaces. With `namespaced`, only the part after `#` counts
        /// (Ed-Fi descriptors such as `uri://ed-fi.org/AttendanceEventCategoryDescriptor#Tardy`).
        case code(values: [String], defaults: [String: String], namespaced: Bool)
        /// `Y`/`N` (also `yes`/`no`, `true`/`false`, `1`/`0`).
        case yesNo
    }

    /// The lastmile name, snake_case; config keys use it.
    public var name: String
    /// The header the file has when the config renames nothing.
    public var header: String
    /// Other headers accepted by default, e.g. a spelling of another version of a standard.
    public var aliases: [String]
    /// Required columns must be in the header and have a value in every row.
    public var required: Bool
    /// An optional column that must still be in the header (its values may be empty), because reading every
    /// row as empty would change what the rows mean — a missing release date reads as "still in custody".
    public var mustBeInHeader = false
    public var kind: Kind

    public init(
        _ name: String, header: String? = nil, aliases: [String] = [], required: Bool = false, _ kind: Kind = .text
    ) {
        self.name = name
        self.header = header ?? name
        self.aliases = aliases
        self.required = required
        self.kind = kind
    }

    /// This column, required in the header though its values may be empty.
    public func inHeader() -> ColumnSpec {
        var spec = self
        spec.mustBeInHeader = true
        return spec
    }

    public var isDateLike: Bool {
        switch kind {
        case .date, .dateTime: true
        default: false
        }
    }
}
