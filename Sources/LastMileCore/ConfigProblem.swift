import Foundation

/// Where something sits in a text file: a 1-based line and column.
public struct ConfigPosition: Sendable, Hashable {
    public var line: Int
    public var column: Int?

    public init(line: Int, column: Int? = nil) {
        self.line = line
        self.column = column
    }
}

/// One problem in a configuration file (any of lastmile's YAML files): where it is and what was expected.
///
/// Messages name keys, lines and expected values only; they never repeat a value that could be data.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    /// The file, as the caller named it.
    public var file: String
    /// Dotted path to the key, with list indexes, e.g. `columns.birth_date.formats[1]`; empty for the file.
    public var keyPath: String
    /// 1-based line of the offending key or value, when known.
    public var line: Int?
    /// 1-based column (in Unicode scalars) of the offending key or value, when known.
    public var column: Int?
    /// What is wrong and what was expected.
    public var message: String

    public init(file: String, keyPath: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.message = message
    }

    public init(file: String, keyPath: String, at position: ConfigPosition?, message: String) {
        self.init(file: file, keyPath: keyPath, line: position?.line, column: position?.column, message: message)
    }

    /// `file:line:column: key.path: message`, leaving out what is unknown.
    public var description: String {
        var at = file
        if let line {
            at += ":\(line)"
            if let column { at += ":\(column)" }
        }
        return at + (keyPath.isEmpty ? "" : ": \(keyPath)") + ": " + message
    }
}

/// Configuration that cannot be used (exit status 78): every problem found, across every file read.
public struct ConfigError: ClassifiedError, Sendable, Hashable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) { self.problems = problems }

    public init(_ problem: ConfigProblem) { self.problems = [problem] }

    public var exitStatus: ExitStatus { .configuration }

    /// One problem a line; a count first when there are several.
    public var description: String {
        let lines = problems.map(\.description)
        guard lines.count > 1 else { return lines.first ?? "invalid configuration" }
        return "\(lines.count) configuration problems:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
    }
}

extension ConfigProblem {
    /// The problem of a config file that cannot be read at all.
    public static func unreadable(_ file: String) -> ConfigProblem {
        ConfigProblem(file: file, keyPath: "", message: "cannot read the file (missing, unreadable or not UTF-8)")
    }
}

extension ConfigError {
    /// The text of the config file at `path`, for every YAML reader.
    /// - Throws: `ConfigError` with `ConfigProblem.unreadable(path)` when the file is missing, unreadable or
    ///   not UTF-8.
    public static func text(ofFile path: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { throw ConfigError(.unreadable(path)) }
        return text
    }
}
