import Foundation
import LastMileCore

/// The fields of a PostgreSQL error report that lastmile keeps (never the bound values).
public struct ServerErrorFields: Sendable, Hashable {
    public var sqlState: String
    public var severity: String
    public var message: String
    /// May quote data values: kept for code that inspects it, never printed by `WarehouseError.description`.
    public var detail: String?
    public var hint: String?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?
}

/// A failure talking to the warehouse. Its description never contains the password or bound values.
public struct WarehouseError: ClassifiedError, CustomStringConvertible, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The URL or conninfo does not parse.
        case invalidConnectionString
        /// The server could not be reached; `retryable` when it may come back (refused, no socket, timeout).
        case connectionFailed(retryable: Bool)
        /// The server rejected a statement.
        case server
        /// The connection broke during a command.
        case connectionLost
        /// The advisory lock is held by another session.
        case lockHeld
        /// A migration already applied was changed afterwards.
        case migrationChanged
        /// The embedded cluster could not be created, started or stopped.
        case embeddedCluster
        /// Migrations are pending and this login may not apply them (it does not own the schema).
        case schemaBehind
        /// The warehouse has a migration newer than this binary.
        case schemaAhead
    }

    /// Which step of a transaction failed, when inside one.
    public enum TransactionStep: String, Sendable {
        case begin, body, commit, rollback
    }

    public var kind: Kind
    /// What lastmile was doing, e.g. "connect to postgresql://…@/lastmile (password hidden)" or "COPY".
    public var context: String
    /// The server's report, for `.server` errors.
    public var server: ServerErrorFields?
    /// libpq's or the OS's message for non-server errors (never includes the password).
    public var clientMessage: String?
    public var step: TransactionStep?

    public init(
        kind: Kind, context: String, server: ServerErrorFields? = nil, clientMessage: String? = nil,
        step: TransactionStep? = nil
    ) {
        self.kind = kind
        self.context = context
        self.server = server
        self.clientMessage = clientMessage
        self.step = step
    }

    /// The SQLSTATE code, when the server reported one.
    public var sqlState: SQLState? { server.map { SQLState(rawValue: $0.sqlState) } }

    public var exitStatus: ExitStatus {
        switch kind {
        case .invalidConnectionString: .configuration
        case .connectionFailed(let retryable): retryable ? .temporaryFailure : .unavailable
        case .connectionLost, .lockHeld: .temporaryFailure
        case .server:
            // Class 08 (connection exception), 57P (operator intervention: shutdown) and 53 (resources)
            // are worth retrying later; anything else is a bug or bad data.
            if let code = server?.sqlState, code.hasPrefix("08") || code.hasPrefix("57P") || code.hasPrefix("53") {
                .temporaryFailure
            } else if server?.sqlState == SQLState.insufficientPrivilege.rawValue {
                .permission
            } else {
                .software
            }
        case .migrationChanged, .schemaBehind, .schemaAhead: .configuration
        case .embeddedCluster: .unavailable
        }
    }

    public var description: String {
        var text = "warehouse: \(context)"
        if let step { text += " (transaction \(step.rawValue))" }
        if let server {
            text += ": \(server.severity) \(server.sqlState)"
            if let name = SQLState(rawValue: server.sqlState).name { text += " \(name)" }
            text += ": \(Self.withoutValues(server.message, sqlState: server.sqlState))"
            let located = [
                server.table.map { "table \($0)" }, server.column.map { "column \($0)" },
                server.constraint.map { "constraint \($0)" },
            ].compactMap { $0 }
            if !located.isEmpty { text += " [" + located.joined(separator: ", ") + "]" }
            if let hint = server.hint { text += " hint: \(Self.withoutValues(hint, sqlState: server.sqlState))" }
        } else if let clientMessage {
            text +=
                ": "
                + clientMessage.split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                .joined(separator: "; ")
        }
        switch kind {
        case .connectionFailed(true), .connectionLost:
            text += " — the warehouse is temporarily unavailable; retry later"
        case .lockHeld:
            text += " — another lastmile run holds the lock; it will be free when that run ends"
        case .server where server?.sqlState == SQLState.insufficientPrivilege.rawValue:
            text += " — this login's roles do not allow this command; see the README's least-privilege section"
        default: break
        }
        return text
    }

    /// Server messages quote things in double quotes: in most classes that may be a value (class 22 data
    /// exceptions, class 23 integrity violations, a function's `RAISE`), which may be personal data, so quoted
    /// text is masked. Only the classes whose messages quote nothing but names — connection (08), authorization
    /// (28), catalog and schema (3D, 3F), syntax and access rules (42: relations, columns, roles) — keep it,
    /// because that is what an operator needs to fix them.
    static func withoutValues(_ message: String, sqlState: String) -> String {
        guard !classesQuotingOnlyNames.contains(String(sqlState.prefix(2))) else { return message }
        var out = ""
        var inQuote = false
        for ch in message {
            if ch == "\"" {
                if !inQuote { out += "\"…\"" }
                inQuote.toggle()
            } else if !inQuote {
                out.append(ch)
            }
        }
        return out
    }

    static let classesQuotingOnlyNames: Set<String> = ["08", "28", "3D", "3F", "42"]
}

/// A PostgreSQL SQLSTATE code, with names for the ones lastmile acts on.
public struct SQLState: RawRepresentable, Sendable, Hashable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let invalidDatetimeFormat = SQLState(rawValue: "22007")
    public static let datetimeFieldOverflow = SQLState(rawValue: "22008")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let undefinedColumn = SQLState(rawValue: "42703")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let invalidCatalogName = SQLState(rawValue: "3D000")
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")

    static let names: [String: String] = [
        "23505": "unique_violation", "23503": "foreign_key_violation", "23502": "not_null_violation",
        "23514": "check_violation", "22P02": "invalid_text_representation", "22007": "invalid_datetime_format",
        "22008": "datetime_field_overflow", "42601": "syntax_error", "42P01": "undefined_table",
        "42703": "undefined_column", "57014": "query_canceled", "57P01": "admin_shutdown",
        "3D000": "invalid_catalog_name", "55P03": "lock_not_available", "40001": "serialization_failure",
        "40P01": "deadlock_detected", "25P02": "in_failed_sql_transaction", "42501": "insufficient_privilege",
    ]

    /// The condition name from the PostgreSQL manual's appendix A, when lastmile knows it.
    public var name: String? { Self.names[rawValue] }
}
