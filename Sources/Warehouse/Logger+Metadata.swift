import Logging

// Typed log metadata for every module that logs (Warehouse is the lowest one that imports swift-log).
extension Logger.MetadataValue {
    /// A count, an id or another integer, written as a JSON number by `JSONLinesLogHandler`.
    public static func number<T: BinaryInteger & Sendable>(_ value: T) -> Self { .stringConvertible(value) }

    /// Elapsed seconds rounded to milliseconds, written as a JSON number by `JSONLinesLogHandler`.
    public static func seconds(_ value: Double) -> Self { .stringConvertible((value * 1000).rounded() / 1000) }
}
