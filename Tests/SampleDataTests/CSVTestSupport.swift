import Foundation

/// A tiny RFC 4180 reader for checking generated files (the project's own reader lives in Extractors).
struct CSVTable {
    var header: [String]
    var rows: [[String]]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var chars = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" {
                            field.append("\"")
                        } else {
                            inQuotes = false
                            pending = next
                        }
                    } else {
                        inQuotes = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                inQuotes = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\n" {
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        header = records.first ?? []
        rows = Array(records.dropFirst())
    }

    func column(_ name: String) -> Int { header.firstIndex(of: name) ?? -1 }

    /// Rows as dictionaries keyed by header.
    var dictionaries: [[String: String]] {
        rows.map { row in
            var d: [String: String] = [:]
            for (i, name) in header.enumerated() where i < row.count { d[name] = row[i] }
            return d
        }
    }
}

/// The folder of this process's test directories, removed when the process exits.
let scratchRoot: String = {
    let path = NSTemporaryDirectory() + "lastmile-sampledata-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchRoot) }
    return path
}()

/// A fresh temporary directory for one test (under `scratchRoot`).
func temporaryDirectory(_ name: String) -> String {
    let path = scratchRoot + "/\(name)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every regular file under `root`, as paths relative to it, sorted.
func filesUnder(_ root: String) -> [String] {
    let enumerator = FileManager.default.enumerator(atPath: root)
    var files: [String] = []
    while let item = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue
        {
            files.append(item)
        }
    }
    return files.sorted()
}
