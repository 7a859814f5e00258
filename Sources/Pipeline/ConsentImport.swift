import Consent
import Extractors
import Foundation
import LastMileCore
import Logging
import Store
import Warehouse

/// How a consent directive file is written.
public enum ConsentFileFormat: String, Sendable, CaseIterable {
    /// sample-data/consent-directives.csv: one directive per row.
    case csv
    /// A FHIR R4 Bundle of Consent resources, or a single Consent (JSON).
    case fhir
    /// FHIR R4 Consent resources, one per line.
    case ndjson

    /// The format a file name implies: `.csv`, `.json`, `.ndjson`/`.jsonl`; nil for anything else.
    public init?(fileExtensionOf path: String) {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": self = .csv
        case "json": self = .fhir
        case "ndjson", "jsonl": self = .ndjson
        default: return nil
        }
    }
}

/// What one `consent import` stored, and what it could not use.
public struct ConsentImportSummary: Sendable, Hashable {
    /// Files read.
    public var files = 0
    /// Directives read from every file.
    public var directivesRead = 0
    /// Directives inserted or changed in the registry (a re-import of the same export stores 0).
    public var stored = 0
    /// Directives already stored exactly so.
    public var unchanged: Int { directivesRead - stored }
    /// Directives naming a patient the EMPI merged into another: stored as sent, they hold for the survivor.
    public var redirected = 0
    /// FHIR resources of other types, ignored.
    public var ignoredResources = 0
    /// Rows or entries that could not be used: file, line or entry, path, what was expected — never values.
    public var problems: [DirectiveImportError] = []

    public init() {}
}

/// Imports consent directives (CSV, FHIR R4 Consent JSON or NDJSON) into the registry in one transaction.
///
/// Every file is parsed before anything is stored. A file that is unusable as a whole — unreadable, a CSV
/// header missing columns, JSON that does not parse, or not one usable directive among problems — throws
/// `ConsentImportError` (65) and nothing is stored. Otherwise bad rows or entries are reported as problems
/// and the good directives of every file are stored together through `ConsentStore`.
public enum ConsentImport {
    /// One file to import and its format.
    public struct Input: Sendable, Hashable {
        public var path: String
        public var format: ConsentFileFormat

        public init(path: String, format: ConsentFileFormat) {
            self.path = path
            self.format = format
        }
    }

    /// One input's directives and the problems found in it.
    public struct ParsedFile: Sendable {
        public var format: ConsentFileFormat
        public var result: DirectiveImport
    }

    /// Parses every input, then stores all directives in a transaction of its own.
    @discardableResult
    public static func run(_ inputs: [Input], connection: Connection, logger: Logger) throws -> ConsentImportSummary {
        let parsed = try parse(inputs)
        return try connection.withTransaction { try store(parsed, connection: connection, logger: logger) }
    }

    /// Parses every input, then stores all directives inside the caller's open transaction (the nightly run's).
    @discardableResult
    public static func load(_ inputs: [Input], connection: Connection, logger: Logger) throws -> ConsentImportSummary {
        try store(try parse(inputs), connection: connection, logger: logger)
    }

    /// The directives and problems of the inputs, without touching the warehouse.
    /// - Throws: `ConsentImportError` when a file is unusable as a whole.
    public static func parse(_ inputs: [Input]) throws -> [ParsedFile] {
        var parsed: [ParsedFile] = []
        var unusable: [DirectiveImportError] = []
        for input in inputs {
            let name = URL(fileURLWithPath: input.path).lastPathComponent
            let result: DirectiveImport
            do {
                result = try read(input, name: name)
            } catch let error as DirectiveImportError {
                unusable.append(error)
                continue
            }
            if result.directives.isEmpty && !result.problems.isEmpty {
                unusable.append(contentsOf: result.problems)
                continue
            }
            parsed.append(ParsedFile(format: input.format, result: result))
        }
        if !unusable.isEmpty { throw ConsentImportError(problems: unusable) }
        return parsed
    }

    /// Stores parsed directives inside the caller's open transaction.
    public static func store(
        _ parsed: [ParsedFile], connection: Connection, logger: Logger
    ) throws -> ConsentImportSummary {
        var summary = ConsentImportSummary()
        let store = ConsentStore(connection: connection)
        for file in parsed {
            let result = file.result
            summary.files += 1
            summary.directivesRead += result.directives.count
            summary.ignoredResources += result.ignoredResources
            summary.problems += result.problems
            summary.stored += try store.save(result.directives, format: file.format.storeName)
            summary.redirected += try store.mergedCount(result.directives.map(\.patientId))
        }
        logger.info(
            "consent directives imported",
            metadata: [
                "files": .number(summary.files), "directives.read": .number(summary.directivesRead),
                "directives.stored": .number(summary.stored), "problems": .number(summary.problems.count),
                "directives.redirected": .number(summary.redirected),
            ])
        return summary
    }

    static func read(_ input: Input, name: String) throws -> DirectiveImport {
        switch input.format {
        case .csv:
            return try readCSV(input.path, name: name)
        case .fhir, .ndjson:
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: input.path))
            } catch {
                throw DirectiveImportError(location: name, path: "file", expected: "a readable file")
            }
            return input.format == .fhir
                ? ConsentDirective.importFHIR(json: data, file: name)
                : ConsentDirective.importFHIRNDJSON(data, file: name)
        }
    }

    /// Splits the CSV with the Extractors reader and hands the rows to `ConsentDirective.importCSV`.
    static func readCSV(_ path: String, name: String) throws -> DirectiveImport {
        let reader: CSVReader
        do throws(InputError) {
            reader = try CSVReader(path: path, displayName: name)
        } catch {
            throw DirectiveImportError(location: name, path: "file", expected: error.problemText)
        }
        try ConsentDirective.validateCSVHeader(reader.header, file: name)
        var rows: [(line: Int, fields: [String: String])] = []
        var problems: [DirectiveImportError] = []
        do throws(InputError) {
            while let row = try reader.nextRow() {
                if let problem = row.problem {
                    problems.append(
                        DirectiveImportError(
                            location: "\(name):\(row.line)", path: "row", expected: problem.description))
                    continue
                }
                var fields: [String: String] = [:]
                for (i, column) in reader.header.enumerated() where fields[column] == nil {
                    fields[column] = row.string(i) ?? ""
                }
                rows.append((row.line, fields))
            }
        } catch {
            throw DirectiveImportError(location: name, path: "file", expected: error.problemText)
        }
        var result = ConsentDirective.importCSV(rows: rows, file: name)
        result.problems = (problems + result.problems).sorted { $0.location.lineOrder < $1.location.lineOrder }
        return result
    }
}

/// Consent files that cannot be imported; nothing was stored. Exit status 65.
public struct ConsentImportError: ClassifiedError, Sendable, CustomStringConvertible {
    public var problems: [DirectiveImportError]

    public var exitStatus: ExitStatus { .dataError }
    public var description: String {
        "consent import stored nothing; unusable input:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

extension ConsentFileFormat {
    /// The `source_format` recorded with each stored directive.
    var storeName: String {
        switch self {
        case .csv: "csv"
        case .fhir: "fhir-json"
        case .ndjson: "fhir-ndjson"
        }
    }
}

extension InputError {
    /// The problem without the file name (the caller names the file).
    fileprivate var problemText: String {
        let text = description
        let prefix = "\(file): "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }
}

extension String {
    /// The line number of a `file:12` location (0 when there is none), for sorting one file's problems.
    fileprivate var lineOrder: Int {
        Int(split(separator: ":").last ?? "") ?? 0
    }
}
