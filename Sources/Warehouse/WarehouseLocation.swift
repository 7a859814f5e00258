import Foundation
import Logging

/// Which warehouse to use: the first of `--database`, `LASTMILE_DATABASE_URL`, the pipeline's `warehouse:`,
/// else the embedded cluster of the working directory.
public enum WarehouseLocation: Sendable {
    case url(String, origin: String)
    case embedded(EmbeddedCluster)

    public static let environmentVariable = "LASTMILE_DATABASE_URL"

    public static func resolve(
        option: String?, pipelineWarehouse: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> WarehouseLocation {
        if let option, !option.isEmpty { return .url(option, origin: "--database") }
        if let env = environment[environmentVariable], !env.isEmpty { return .url(env, origin: environmentVariable) }
        if let pipelineWarehouse, !pipelineWarehouse.isEmpty {
            return .url(pipelineWarehouse, origin: "pipeline warehouse:")
        }
        return .embedded(EmbeddedCluster(workingDirectory: workingDirectory))
    }

    /// The local directory of the embedded warehouse's state (nil for a warehouse given by URL): where files
    /// kept beside the warehouse, such as the matcher's MPI index, live.
    public var localStateDirectory: URL? {
        if case .embedded(let cluster) = self { return cluster.stateDirectory }
        return nil
    }

    /// Opens a connection, starting (and creating) the embedded cluster first when that is the warehouse.
    public func connect(logger: Logger) throws -> Connection {
        switch self {
        case .url(let url, let origin):
            logger.debug("connecting to configured warehouse", metadata: ["warehouse.origin": "\(origin)"])
            return try Connection(url)
        case .embedded(let cluster):
            switch try cluster.status() {
            case .running: break
            case .notCreated, .stopped:
                logger.info(
                    "starting embedded warehouse", metadata: ["warehouse.state": "\(cluster.stateDirectory.path)"])
            }
            return try Connection(try cluster.start())
        }
    }

    /// Connects and applies pending migrations: what every command that reads or writes the warehouse does first.
    public func connectMigrated(logger: Logger) throws -> Connection {
        let connection = try connect(logger: logger)
        try Migrator().migrate(connection, logger: logger)
        return connection
    }
}
