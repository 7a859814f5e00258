import Extractors
import Foundation
import LastMileCore
import Reports

extension SchoolDirectory {
    /// The columns of a school directory file; `liaison_phone` may be left out.
    public static let csvColumns = ["school_id", "school_name", "liaison_phone"]

    /// Reads one district's directory (`school_id,school_name,liaison_phone`, UTF-8, a header line).
    ///
    /// A school id given twice, a row without an id or a name, or a row whose fields do not line up is a
    /// problem naming the file and line (values are never repeated); the directory holds the usable rows.
    /// - Returns: the schools by id, and the problems found.
    public static func schools(csvAt path: String) -> (schools: [String: School], problems: [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        func problem(_ line: Int?, _ message: String) {
            problems.append(ConfigProblem(file: path, keyPath: "", line: line, message: message))
        }
        let reader: CSVReader
        do {
            reader = try CSVReader(path: path)
        } catch {
            problem(nil, "cannot read the school directory: \(error)")
            return ([:], problems)
        }
        guard let idColumn = reader.columnIndex(named: "school_id"),
            let nameColumn = reader.columnIndex(named: "school_name")
        else {
            problem(reader.headerLine, "expected a header with school_id, school_name and optionally liaison_phone")
            return ([:], problems)
        }
        let phoneColumn = reader.columnIndex(named: "liaison_phone")
        var schools: [String: School] = [:]
        do {
            while let row = try reader.nextRow() {
                if let rowProblem = row.problem {
                    problem(row.line, "\(rowProblem)")
                    continue
                }
                let id = (row.string(idColumn) ?? "").trimmingCharacters(in: .whitespaces)
                let name = (row.string(nameColumn) ?? "").trimmingCharacters(in: .whitespaces)
                guard !id.isEmpty, !name.isEmpty else {
                    problem(row.line, "school_id and school_name: expected a value in each")
                    continue
                }
                guard schools[id] == nil else {
                    problem(row.line, "school_id: this id is already on an earlier line")
                    continue
                }
                let phone = phoneColumn.flatMap { row.string($0) }?.trimmingCharacters(in: .whitespaces)
                schools[id] = School(id: id, name: name, liaisonPhone: phone?.isEmpty == false ? phone : nil)
            }
        } catch {
            problem(nil, "cannot read the school directory: \(error)")
        }
        return (schools, problems)
    }
}
