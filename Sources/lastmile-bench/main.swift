// Benchmark driver: the measured half of each bench/*.sh comparison. Not part of the lastmile product.
//
//   lastmile-bench copy-csv CONNINFO TABLE FILE   stream a CSV file through our COPY path; prints seconds
import Foundation
import Warehouse

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("lastmile-bench: \(message)\n".utf8))
    exit(64)
}

let arguments = CommandLine.arguments.dropFirst()
guard let command = arguments.first else { fail("usage: lastmile-bench copy-csv CONNINFO TABLE FILE") }

switch command {
case "copy-csv":
    let rest = Array(arguments.dropFirst())
    guard rest.count == 3 else { fail("usage: lastmile-bench copy-csv CONNINFO TABLE FILE") }
    let (conninfo, table, path) = (rest[0], rest[1], rest[2])
    guard table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }) else { fail("bad table name") }
    let started = Date()
    do {
        let db = try Connection(conninfo)
        guard let file = FileHandle(forReadingAtPath: path) else { fail("cannot open \(path)") }
        let rows = try db.withCopy("COPY \(table) FROM STDIN WITH (FORMAT csv, HEADER true)") { writer in
            while true {
                let chunk = try file.read(upToCount: 1 << 20) ?? Data()
                if chunk.isEmpty { break }
                try chunk.withUnsafeBytes { try writer.appendPreformatted($0) }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "%.3f %d", seconds, rows))
    } catch {
        fail("\(error)")
    }
default:
    fail("unknown command \(command)")
}
