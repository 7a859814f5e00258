import Foundation
import LastMileCore

/// A value bound to a statement parameter, sent as text and typed by the server from the statement.
public protocol SQLParameter {
    /// The text form PostgreSQL parses; nil for SQL NULL.
    var sqlText: String? { get }
}

extension String: SQLParameter { public var sqlText: String? { self } }
extension Substring: SQLParameter { public var sqlText: String? { String(self) } }
extension Int: SQLParameter { public var sqlText: String? { String(self) } }
extension Int64: SQLParameter { public var sqlText: String? { String(self) } }
extension Int32: SQLParameter { public var sqlText: String? { String(self) } }
extension Double: SQLParameter { public var sqlText: String? { String(self) } }
extension Bool: SQLParameter { public var sqlText: String? { self ? "true" : "false" } }
extension CivilDate: SQLParameter { public var sqlText: String? { description } }
extension CivilDateTime: SQLParameter { public var sqlText: String? { description } }
extension Optional: SQLParameter where Wrapped: SQLParameter {
    public var sqlText: String? { self?.sqlText }
}

/// Rows returned by a query, in text form.
public struct QueryResult: Sendable {
    public var columns: [String]
    public var rows: [Row]
    /// Rows affected by INSERT, UPDATE, DELETE or COPY; nil for other commands.
    public var affectedRows: Int?

    public struct Row: Sendable {
        public var values: [String?]
        let columnIndex: [String: Int]

        public subscript(_ index: Int) -> String? { values[index] }
        /// The value of the named column; nil for NULL or an unknown name.
        public subscript(_ name: String) -> String? { columnIndex[name].flatMap { values[$0] } }
        public func int(_ name: String) -> Int? { self[name].flatMap { Int($0) } }
        public func double(_ name: String) -> Double? { self[name].flatMap { Double($0) } }
        public func bool(_ name: String) -> Bool? { self[name].map { $0 == "t" || $0 == "true" } }
        public func date(_ name: String) -> CivilDate? { self[name].flatMap { CivilDate(iso: $0) } }
    }

    /// The first column of the first row, the usual shape of `SELECT count(*)`.
    public var scalar: String? { rows.first?.values.first ?? nil }
}

/// A connection to the warehouse over libpq. Not thread-safe: one connection per thread of work.
///
/// Statements take parameters only as bound values (`$1`, `$2` …); SQL is never built from values.
/// - Important: the connection string may hold a password. It is never logged or put in an error; errors name
///   the target as `ConnectionTarget.redacted`.
public final class Connection {
    let handle: PQConnectionHandle
    /// The connection target without its password, for messages.
    public let target: String

    /// Opens a connection from a `postgresql://` URL or a `key=value` conninfo; every libpq parameter is
    /// honoured (`sslmode`, `sslrootcert`, `connect_timeout`, `application_name` …).
    /// - Throws: `WarehouseError` `.invalidConnectionString` or `.connectionFailed`.
    public init(_ conninfo: String) throws(WarehouseError) {
        let target = try ConnectionTarget.redacted(conninfo)
        guard let handle = PQConnectionHandle.connect(ConnectionTarget.withApplicationName(conninfo)) else {
            throw WarehouseError(
                kind: .connectionFailed(retryable: true), context: "connect to \(target)",
                clientMessage: "out of memory")
        }
        guard handle.isOK else {
            let message = handle.errorMessage
            handle.finish()
            // libpq checks some parameters (port, sslmode …) only when connecting: still a configuration error.
            let invalidParameter = message.hasPrefix("invalid ") || message.contains("\ninvalid ")
            throw WarehouseError(
                kind: invalidParameter
                    ? .invalidConnectionString : .connectionFailed(retryable: ConnectionTarget.isRetryable(message)),
                context: "connect to \(target)", clientMessage: ConnectionTarget.scrub(message, conninfo: conninfo))
        }
        handle.silenceNotices()
        self.handle = handle
        self.target = target
    }

    deinit { handle.finish() }

    /// The server's version number, e.g. 150018 for 15.18.
    public var serverVersion: Int { handle.serverVersion }

    /// Runs one statement with bound parameters and returns its rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any SQLParameter] = []) throws(WarehouseError) -> QueryResult {
        let texts = parameters.map(\.sqlText)
        guard let result = handle.execParams(sql, texts) else { throw lostConnection("statement") }
        defer { result.clear() }
        return try Self.collect(result, context: "statement", connection: self)
    }

    /// Runs SQL text that holds no values — migrations and fixed DDL — possibly several statements at once.
    ///
    /// Named for what it bypasses: no parameters can be bound, so never pass text built from data.
    @discardableResult
    public func execute(unsafeSQL sql: String) throws(WarehouseError) -> QueryResult {
        guard let result = handle.exec(sql) else { throw lostConnection("statement") }
        defer { result.clear() }
        return try Self.collect(result, context: "statement", connection: self)
    }

    /// Runs `body` inside BEGIN … COMMIT; any error thrown by `body` (or by COMMIT) rolls everything back.
    ///
    /// A COMMIT that the server turns into a ROLLBACK (the transaction had failed) is reported as an error.
    @discardableResult
    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        do { try execute(unsafeSQL: "BEGIN") } catch var error {
            error.step = .begin
            throw error
        }
        let value: T
        do {
            value = try body()
        } catch {
            if handle.isInTransaction { _ = try? execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
        do { try execute(unsafeSQL: "COMMIT") } catch var error {
            error.step = .commit
            if handle.isInTransaction { _ = try? execute(unsafeSQL: "ROLLBACK") }
            throw error
        }
        if lastCommandStatus != "COMMIT" {
            throw WarehouseError(
                kind: .server, context: "transaction",
                server: ServerErrorFields(
                    sqlState: "25P02", severity: "ERROR",
                    message: "the transaction had failed and was rolled back at COMMIT"),
                step: .commit)
        }
        return value
    }

    /// Tries to take the session-level advisory lock `key` without waiting; true when taken.
    /// Calls `pg_try_advisory_lock`.
    public func tryAdvisoryLock(_ key: Int64) throws(WarehouseError) -> Bool {
        try execute("SELECT pg_try_advisory_lock($1::bigint)", [key]).scalar == "t"
    }

    /// Waits for the session-level advisory lock `key` up to `timeoutSeconds`; false when it timed out.
    public func advisoryLock(_ key: Int64, timeoutSeconds: Int) throws(WarehouseError) -> Bool {
        // A timeout is a duration, not a wall-clock time: a change of the system date must not move it.
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        while true {
            if try tryAdvisoryLock(key) { return true }
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.25)
        }
    }

    /// Waits, without a limit, for the transaction-level advisory lock `key`, released when the open transaction
    /// ends. Calls `pg_advisory_xact_lock`; for short steps that every holder reaches last (no deadlock).
    public func advisoryTransactionLock(_ key: Int64) throws(WarehouseError) {
        try execute("SELECT pg_advisory_xact_lock($1::bigint)", [key])
    }

    /// Releases the session-level advisory lock `key`; false when this session did not hold it.
    @discardableResult
    public func advisoryUnlock(_ key: Int64) throws(WarehouseError) -> Bool {
        try execute("SELECT pg_advisory_unlock($1::bigint)", [key]).scalar == "t"
    }

    // MARK: - Internals

    private var lastCommandStatusStorage = ""
    var lastCommandStatus: String { lastCommandStatusStorage }

    func lostConnection(_ context: String) -> WarehouseError {
        WarehouseError(kind: .connectionLost, context: context, clientMessage: handle.errorMessage)
    }

    static func collect(_ result: PQResultHandle, context: String, connection: Connection) throws(WarehouseError)
        -> QueryResult
    {
        connection.lastCommandStatusStorage = result.commandStatus
        switch result.status {
        case .commandOK, .emptyQuery, .copyIn, .copyOut:
            return QueryResult(columns: [], rows: [], affectedRows: result.affectedRows)
        case .tuplesOK:
            let columns = (0..<result.columnCount).map(result.columnName)
            var index: [String: Int] = [:]
            for (i, name) in columns.enumerated() where index[name] == nil { index[name] = i }
            var rows: [QueryResult.Row] = []
            rows.reserveCapacity(result.rowCount)
            for r in 0..<result.rowCount {
                rows.append(
                    QueryResult.Row(
                        values: (0..<columns.count).map { result.value(row: r, column: $0) }, columnIndex: index))
            }
            return QueryResult(columns: columns, rows: rows, affectedRows: result.affectedRows)
        case .fatalError, .nonfatalError, .other:
            let fields = result.serverError
            // A server that went away reports no SQLSTATE of its own: classify it as a lost connection.
            if !connection.handle.isOK {
                throw WarehouseError(kind: .connectionLost, context: context, clientMessage: fields.message)
            }
            throw WarehouseError(kind: .server, context: context, server: fields)
        }
    }
}
