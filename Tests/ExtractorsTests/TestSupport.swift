import Foundation
import Testing

@testable import Extractors

/// A private temporary directory per test, removed at the end of the process.
enum Scratch {
    static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-extractors-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to a new file and returns its path.
    static func bytes(_ bytes: [UInt8], name: String = "input.csv") -> String {
        let dir = root.appendingPathComponent(UUID().uuidString)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try! Data(bytes).write(to: url)
        return url.path
    }

    static func csv(_ text: String, name: String = "input.csv") -> String { bytes(Array(text.utf8), name: name) }
}

/// Every row of a file as (line, fields or problem).
func readAll(_ path: String, dialect: CSVDialect = CSVDialect()) throws -> (header: [String], rows: [(line: Int, fields: [String], problem: CSVRowProblem?)]) {
    let reader = try CSVReader(path: path, dialect: dialect)
    var rows: [(Int, [String], CSVRowProblem?)] = []
    while let row = try reader.nextRow() {
        rows.append((row.line, (0..<row.fieldCount).map { row.string($0) ?? "" }, row.problem))
    }
    return (reader.header, rows)
}

func inputError(_ body: () throws -> Void) -> InputError? {
    do {
        try body()
        return nil
    } catch let error as InputError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
