import LastMileCore
import Logging
import Store

/// Wraps a line-oriented text log handler (swift-log's `StreamLogHandler`) so that no value can break or forge
/// a line: control characters (C0, DEL, C1) and the bidirectional controls in the message, the source and every
/// metadata key and value are written as visible `\u{…}` escapes before the wrapped handler formats them.
///
/// A file name like `a.csv\n2026-11-21T03:00:00+0000 error …` is logged as one line, `a.csv\u{A}2026-…`.
/// The JSON format needs no wrapper: JSON escapes control characters itself.
public struct EscapingLogHandler<Wrapped: LogHandler>: LogHandler {
    private var wrapped: Wrapped

    public init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = Self.escape(newValue) }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: LineText.escaped(key)] }
        set { wrapped[metadataKey: LineText.escaped(key)] = newValue.map(Self.escape) }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: LineText.escaped(event.message.description))
        event.metadata = event.metadata.map(Self.escape)
        event.source = LineText.escaped(event.source)
        if let error = event.error {
            // The wrapped handler would print the error's text as it is: hand it over escaped, as metadata.
            var metadata = event.metadata ?? [:]
            metadata["error.message"] = .string(LineText.escaped("\(error)"))
            metadata["error.type"] = .string(LineText.escaped(String(reflecting: type(of: error))))
            event.metadata = metadata
            event.error = nil
        }
        wrapped.log(event: event)
    }

    static func escape(_ metadata: Logger.Metadata) -> Logger.Metadata {
        Dictionary(metadata.map { (LineText.escaped($0.key), escape($0.value)) }) { first, _ in first }
    }

    static func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(LineText.escaped(text))
        case .stringConvertible(let convertible): .string(LineText.escaped(convertible.description))
        case .array(let values): .array(values.map(escape))
        case .dictionary(let dictionary): .dictionary(escape(dictionary))
        }
    }
}

/// The one rule for text from inputs shown on a line of a log or a terminal.
public enum LineText {
    /// `text` with every control character (C0, DEL, C1) and bidirectional control written as `\u{…}`.
    public static func escaped(_ text: String) -> String {
        text.replacingScalars(where: isUnsafe) { "\\u{" + String($0.value, radix: 16, uppercase: true) + "}" }
    }

    /// Control characters, and the invisible controls that reorder how a line is shown.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
