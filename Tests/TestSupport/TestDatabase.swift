import Foundation
import Warehouse

/// A real PostgreSQL for tests: the server named by `LASTMILE_TEST_DATABASE_URL` (a `key=value` conninfo
/// without dbname), or else a throwaway embedded cluster that this test process creates on first use and
/// destroys at exit. Each test gets a database of its own.
public enum TestDatabase {
    public static let environmentVariable = "LASTMILE_TEST_DATABASE_URL"

    /// The server conninfo (no dbname), created once per process.
    static let server: Result<String, any Error> = {
        if let configured = ProcessInfo.processInfo.environment[environmentVariable], !configured.isEmpty {
            return .success(configured)
        }
        do {
            let directory = URL(fileURLWithPath: NSTemporaryDirectory())
                .appendingPathComponent("lastmile-test-\(getpid())")
            let cluster = EmbeddedCluster(stateDirectory: directory, throwaway: true)
            throwawayCluster = cluster
            atexit { TestDatabase.destroyThrowawayCluster() }
            try cluster.start()
            guard let layout = try cluster.existingLayout() else { throw CocoaError(.fileNoSuchFile) }
            return .success("host=\(layout.socketDirectory) user=\(EmbeddedCluster.superuser)")
        } catch {
            return .failure(error)
        }
    }()

    nonisolated(unsafe) static var throwawayCluster: EmbeddedCluster?

    static func destroyThrowawayCluster() {
        try? throwawayCluster?.destroy()
    }

    /// Creates an empty database, runs `body` with its conninfo, then drops it.
    public static func withFreshDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let server = try server.get()
        let name = "lastmile_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try Connection(server + " dbname=postgres")
        try admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        defer { _ = try? admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        return try body(server + " dbname=\(name)")
    }

    /// The server conninfo with a database name, for tests that need to build their own URLs.
    public static func serverConninfo() throws -> String { try server.get() }
}
