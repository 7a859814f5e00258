import ArgumentParser
import Foundation
import LastMileCore
import Warehouse

/// `lastmile db …`: the warehouse's schema and the embedded cluster.
struct Database: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the warehouse: migrations and the embedded PostgreSQL cluster.",
        discussion: """
            With no --database and no LASTMILE_DATABASE_URL, lastmile uses an embedded cluster under .lastmile/ \
            in the working directory: a private PostgreSQL server with a unix socket in a private directory and \
            no TCP listener. Other commands start it when needed; these commands manage it explicitly.

            Example:  lastmile db start && lastmile db migrate && lastmile db status
            """,
        subcommands: [Migrate.self, Start.self, Stop.self, Status.self, URLCommand.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending warehouse migrations.",
            discussion: """
                Each migration runs in its own transaction and is recorded in lastmile.schema_migration, so \
                running this twice equals once. An applied migration whose text changed is refused (exit 78). \
                Run it as the login that owns the lastmile schema; any other login only checks that the schema \
                is current (exit 78 when it is behind or ahead of this lastmile).

                Example:  lastmile db migrate --database 'postgresql://lastmile_owner@db.hie.example/hie'
                """)
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let logger = global.makeLogger()
            let connection = try global.warehouse().connect(logger: logger)
            let migrator = Migrator()
            let applied = try migrator.migrate(connection, logger: logger)
            let version = try migrator.currentVersion(connection).map(String.init) ?? "none"
            print("applied \(applied.count) migration(s); schema version \(version)")
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create (first time) and start the embedded warehouse, and apply migrations.",
            discussion: """
                Creates .lastmile/ (mode 0700) with a PostgreSQL data directory, starts the server on a private \
                unix socket and creates the lastmile database. As root, the server runs as the postgres OS user. \
                The server never listens on TCP and accepts only the socket. Two starts at once are safe (the \
                second waits for .lastmile/cluster.lock); a first start that was killed leaves nothing a server \
                could run from, and the next start builds the cluster again.

                Example:  lastmile db start
                """)
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if global.database != nil {
                throw ValidationError("db start manages the embedded cluster; drop --database")
            }
        }

        func run() throws {
            let logger = global.makeLogger()
            let cluster = EmbeddedCluster()
            let url = try cluster.start()
            let connection = try Connection(url)
            try Migrator().migrate(connection, logger: logger)
            print("embedded warehouse running; connect with: psql '\(url)'")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the embedded warehouse (its data stays).",
            discussion: "Example:  lastmile db stop")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            _ = global.makeLogger()
            let cluster = EmbeddedCluster()
            if case .running = try cluster.status() {
                try cluster.stop()
                print("embedded warehouse stopped")
            } else {
                print("embedded warehouse is not running")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say which warehouse is in use, whether it answers, and its schema version.",
            discussion: """
                Exits 0 when the warehouse answers, 69 or 75 when it does not (for monitoring).

                Example:  lastmile db status
                """)
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let logger = global.makeLogger()
            let location = global.warehouse()
            switch location {
            case .embedded(let cluster):
                let status = try cluster.status()
                switch status {
                case .notCreated:
                    print("warehouse: embedded (not created yet; `lastmile db start` creates it)")
                    throw ExitCode(ExitStatus.unavailable.rawValue)
                case .stopped:
                    print("warehouse: embedded, stopped (`lastmile db start` starts it)")
                    if let layout = try cluster.existingLayout() { print("data:      \(layout.dataDirectory)") }
                    throw ExitCode(ExitStatus.unavailable.rawValue)
                case .running(let pid):
                    print("warehouse: embedded, running" + (pid.map { " (pid \($0))" } ?? ""))
                    if let layout = try cluster.existingLayout() {
                        print("data:      \(layout.dataDirectory)")
                        print("socket:    \(layout.socketDirectory)")
                    }
                }
            case .url(let url, let origin):
                print("warehouse: \(try ConnectionTarget.redacted(url)) (from \(origin))")
            }
            let connection = try location.connect(logger: logger)
            let version = try Migrator().currentVersion(connection).map(String.init) ?? "not migrated"
            print("server:    PostgreSQL \(connection.serverVersion / 10000).\(connection.serverVersion % 10000)")
            print("schema:    \(version)")
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the embedded warehouse's connection URL (for psql and other tools).",
            discussion: "Example:  psql \"$(lastmile db url)\" -c 'select count(*) from lastmile.flag'")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            print(try EmbeddedCluster().connectionURL())
        }
    }
}

extension GlobalOptions {
    /// The warehouse this invocation uses (see `WarehouseLocation.resolve`).
    func warehouse(pipelineWarehouse: String? = nil) -> WarehouseLocation {
        WarehouseLocation.resolve(option: database, pipelineWarehouse: pipelineWarehouse)
    }
}
