import LastMileCore
import Store

/// A reference-data file (MPI snapshot, attribution panel, consent directives) that cannot be used as a whole.
///
/// Names the file and what was expected, never a value from it. Exit status 65 (input data unusable).
public struct ReferenceDataError: ClassifiedError, Sendable, Hashable, CustomStringConvertible {
    /// The file, as named in messages (its last path component).
    public var file: String
    /// What was wrong with it, e.g. "no usable rows".
    public var problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var exitStatus: ExitStatus { .dataError }
    public var description: String { "\(file): \(problem)" }
}
