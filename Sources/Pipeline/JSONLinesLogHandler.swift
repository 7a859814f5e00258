import Foundation
import Logging
import Store

/// A swift-log handler writing one JSON object per line to standard error, for cron and log shippers.
///
/// Each line has `ts` (ISO 8601, UTC), `level`, `label`, `msg` and the merged metadata under their own keys
/// (`docs/operations.md`, "Log lines"). A `.stringConvertible` integer, floating-point number or boolean is
/// written as a JSON number or boolean; everything else as a string. Call sites pass counts with
/// `.number(_:)` and durations with `.seconds(_:)`.
/// - Important: the handler redacts nothing. Callers log counts, file ids and line numbers, never personal data.
public struct JSONLinesLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLinesLogHandler.writeToStandardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var object: [String: Any] = [
            "ts": Self.timestamp(),
            "level": event.level.rawValue,
            "label": label,
            "msg": event.message.description,
        ]
        for (key, value) in merged where object[key] == nil {
            object[key] = Self.jsonValue(value)
        }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]),
            let line = String(data: data, encoding: .utf8)
        else { return }
        write(line + "\n")
    }

    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The JSON form of one metadata value: numbers and booleans typed, a non-finite number as a string.
    static func jsonValue(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return typedValue(c)
        case .array(let a): return a.map(jsonValue)
        case .dictionary(let d): return d.mapValues(jsonValue)
        }
    }

    private static func typedValue(_ value: any CustomStringConvertible & Sendable) -> Any {
        if let b = value as? Bool { return b }
        if let i = value as? any BinaryInteger {
            if let exact = Int64(exactly: i) { return exact }
            return value.description
        }
        if let d = value as? any BinaryFloatingPoint {
            let double = Double(d)
            return double.isFinite ? double : value.description
        }
        return value.description
    }

    private static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = tv.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        let ms = Int(tv.tv_usec) / 1000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), ms)
    }
}

/// Log metadata keys: dot-separated segments of lower-case words joined by `_` (`run.id`, `rows.read`,
/// `run.as_of`), as `docs/operations.md` documents.
public enum LogKey {
    /// `text` as one key segment: lower case, every run of other characters than letters and digits as `_`.
    /// `"given+family names"` becomes `"given_family_names"`.
    public static func segment(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else if !out.isEmpty, !out.hasSuffix("_") {
                out += "_"
            }
        }
        while out.hasSuffix("_") { out.removeLast() }
        return out
    }
}
