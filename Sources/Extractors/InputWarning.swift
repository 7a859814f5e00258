/// Something about an input as a whole that does not stop it being read but that a data engineer should see
/// (e.g. an optional column the config maps is missing from the header: a vendor renamed it).
///
/// Names the file and the column by its configured header, never a value or the file's header text.
public struct InputWarning: Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// An optional column the source config maps by name is not in the header: every row reads it as empty.
        case mappedColumnMissing(header: String)
    }

    /// The file, relative to the input root.
    public var file: String
    public var problem: Problem

    public init(file: String, problem: Problem) {
        self.file = file
        self.problem = problem
    }

    /// A short stable code, e.g. `mapped-column-missing`.
    public var code: String {
        switch problem {
        case .mappedColumnMissing: "mapped-column-missing"
        }
    }

    public var description: String {
        switch problem {
        case .mappedColumnMissing(let header):
            "\(file): the mapped optional column \"\(header)\" is not in the header (renamed by the sender?); "
                + "every row reads it as empty"
        }
    }
}

extension RecordSink {
    /// Ignores the warning (sinks that do not report warnings).
    public mutating func warn(_ warning: InputWarning) throws {}
}
