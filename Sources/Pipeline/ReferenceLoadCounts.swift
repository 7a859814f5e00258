import Extractors
import Foundation

/// What a reference-data load (MPI snapshot, attribution panel) did to its table: rows read, inserted,
/// updated and left unchanged, and the rows quarantined (where and why, never their values).
public struct ReferenceLoadCounts: Sendable, Hashable {
    /// The file, as named in messages.
    public var file: String
    /// Data rows read (accepted and rejected).
    public var rowsRead = 0
    /// Rows new to the table.
    public var inserted = 0
    /// Rows whose values changed.
    public var updated = 0
    /// Rows already stored exactly so (left untouched).
    public var unchanged = 0
    /// Rows quarantined: where and why, never their values.
    public var rejections: [RowRejection] = []

    /// How many rows were quarantined.
    public var rejected: Int { rejections.count }

    public init(file: String) { self.file = file }
}

/// A load summary built on `ReferenceLoadCounts`: its counts read as the summary's own (`summary.inserted`).
@dynamicMemberLookup
public protocol ReferenceLoadSummary {
    /// The counts every reference load has.
    var load: ReferenceLoadCounts { get set }
}

extension ReferenceLoadSummary {
    public subscript<Value>(dynamicMember path: WritableKeyPath<ReferenceLoadCounts, Value>) -> Value {
        get { load[keyPath: path] }
        set { load[keyPath: path] = newValue }
    }

    public subscript<Value>(dynamicMember path: KeyPath<ReferenceLoadCounts, Value>) -> Value {
        load[keyPath: path]
    }
}
