// The review commands as each role, through the built binary: the loader login (the administrative commands'
// login) works the queue; a practice's report reader is refused (77); and the loader only appends to the
// decision and access logs.
import Foundation
import LastMileCore
import TestSupport
import Testing
import Warehouse

@Suite(.serialized) struct ReviewPrivilegeTests {
    func lastmile(_ arguments: [String], as conninfo: String, in workspace: SampleWorkspace) throws -> CommandResult {
        try LastMileBinary.run(
            arguments, in: workspace.root,
            environment: ["LASTMILE_DATABASE_URL": conninfo, "LASTMILE_NOW": "2026-11-23T09:00:00Z"])
    }

    @Test func theLoaderWorksTheQueueAReaderIsRefusedAndTheLogsAreAppendOnly() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try withTestLogin(in: "lastmile_loader, lastmile_consent_importer", owner) { nightlyLogin, nightlyPass in
                try withTestLogin(in: "lastmile_loader", owner) { loaderLogin, loaderPass in
                    try withTestLogin(in: "lastmile_report_reader", owner) { readerLogin, readerPass in
                        let nightly = url + " user=\(nightlyLogin) password=\(nightlyPass)"
                        let loader = url + " user=\(loaderLogin) password=\(loaderPass)"
                        let reader = url + " user=\(readerLogin) password=\(readerPass)"
                        let night = try lastmile(
                            ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"], as: nightly, in: workspace)
                        #expect(night.status == 0, "\(night.stderr)")
                        let id = try #require(
                            try owner.execute("SELECT min(item_id) FROM lastmile.review_queue").scalar)
                        for arguments in [
                            ["review", "list"], ["review", "show", id, "--show-personal-data", "--by", "jdoe"],
                            ["review", "accept", id, "--by", "jdoe", "--note", "ok"],
                            ["review", "undo", id, "--by", "jdoe", "--note", "not ok"],
                            ["review", "reject", id, "--by", "jdoe", "--note", "other person"],
                            ["review", "export", "--html", "review/q.html", "--show-personal-data", "--by", "jdoe"],
                        ] {
                            let result = try lastmile(arguments, as: loader, in: workspace)
                            #expect(result.status == 0, "loader: \(arguments.joined(separator: " ")): \(result.stderr)")
                        }
                        let refused = try lastmile(["review", "list"], as: reader, in: workspace)
                        #expect(refused.status == 77, "reader: review list: \(refused.stderr)")

                        let asLoader = try Connection(loader)
                        expectDenied(asLoader, "DELETE FROM lastmile.review_decision")
                        expectDenied(asLoader, "UPDATE lastmile.review_access SET viewed_by = 'nobody'")
                        expectDenied(asLoader, "DELETE FROM lastmile.review_access")
                        let logged = try owner.execute(
                            "SELECT action || ':' || viewed_by FROM lastmile.review_access ORDER BY access_id"
                        ).rows.compactMap { $0[0] }
                        #expect(logged == ["show:jdoe", "export:jdoe"])
                    }
                }
            }
        }
    }
}
