import Foundation

/// Connection-string helpers that keep the password out of every message.
public enum ConnectionTarget {
    /// Describes the target of a URL or conninfo without its password, e.g.
    /// `user lastmile, database lastmile, host /srv/pg (sslmode require)`.
    /// - Throws: `WarehouseError.Kind.invalidConnectionString` with libpq's reason (which never quotes it).
    public static func redacted(_ conninfo: String) throws(WarehouseError) -> String {
        switch parseConninfo(conninfo) {
        case .failure(let error):
            throw WarehouseError(
                kind: .invalidConnectionString, context: "parse the database URL",
                clientMessage: scrub(error.message, conninfo: conninfo)
                    + " (expected postgresql://user@host:port/database?param=value or key=value pairs)")
        case .success(let pairs):
            let values = Dictionary(pairs, uniquingKeysWith: { _, last in last })
            var parts: [String] = []
            if let user = values["user"] { parts.append("user \(user)") }
            if let db = values["dbname"] { parts.append("database \(db)") }
            if let host = values["host"] ?? values["hostaddr"] { parts.append("host \(host)") }
            if let port = values["port"] { parts.append("port \(port)") }
            if let ssl = values["sslmode"] { parts.append("sslmode \(ssl)") }
            return parts.isEmpty ? "the default server (libpq defaults)" : parts.joined(separator: ", ")
        }
    }

    /// Adds `application_name=lastmile` unless the string sets one, so the server's activity view names us.
    static func withApplicationName(_ conninfo: String) -> String {
        if conninfo.contains("application_name") { return conninfo }
        if conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") {
            return conninfo + (conninfo.contains("?") ? "&" : "?") + "application_name=lastmile"
        }
        return conninfo + " application_name=lastmile"
    }

    /// Whether a connection failure may go away by itself (server starting, restarting, network).
    static func isRetryable(_ message: String) -> Bool {
        let permanent = [
            "authentication failed", "does not exist", "no password supplied", "password authentication",
            "no pg_hba.conf entry", "certificate", "SSL", "invalid", "permission denied", "role",
        ]
        return !permanent.contains { message.localizedCaseInsensitiveContains($0) }
    }

    /// Removes the password (and the whole connection string) from a libpq message, should it quote them.
    static func scrub(_ message: String, conninfo: String) -> String {
        var text = message
        if case .success(let pairs) = parseConninfo(conninfo),
            let password = pairs.first(where: { $0.keyword == "password" })?.value,
            !password.isEmpty
        {
            text = text.replacingOccurrences(of: password, with: "****")
        }
        return text.replacingOccurrences(of: conninfo, with: "<connection string>")
    }
}
