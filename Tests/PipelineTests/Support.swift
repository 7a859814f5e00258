import Foundation
import Logging
import TestSupport
import Warehouse

/// A logger that drops everything (tests assert on return values, not log lines).
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs `body` with a connection to a fresh, migrated database.
func withMigratedDatabase<T>(_ body: (Connection) throws -> T) throws -> T {
    try TestDatabase.withFreshDatabase { url in
        let connection = try Connection(url)
        try Migrator().migrate(connection, logger: quietLogger)
        return try body(connection)
    }
}

/// Writes `text` to `name` in `directory` and returns its path.
func write(_ text: String, to name: String, in directory: TemporaryDirectory) throws -> String {
    let url = directory.url.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
}

/// A fixture file of Tests/PipelineTests/Fixtures.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// Every row of a table as text, ordered, for comparing whole tables before and after.
func dump(_ connection: Connection, _ table: String, orderBy: String) throws -> [[String?]] {
    // Table and column names are fixed by the tests, never data.
    try connection.execute("SELECT * FROM \(table) ORDER BY \(orderBy)").rows.map(\.values)
}

let mpiHeader = "id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn\n"

/// A synthetic MPI row.
func mpiRow(_ id: String, _ given: String, _ family: String, _ birth: String, street: String = "12 Oak St") -> String {
    "\(id),\(given),\(family),\(birth),F,\(street),Millbrook,OR,97411,,\n"
}
