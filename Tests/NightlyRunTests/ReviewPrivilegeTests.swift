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

    /// A reviewer login (`lastmile_reviewer`) works the whole queue through the binary, and from outside cannot
    /// read an event table, the flags, the disclosures or consent, nor write any of them.
    @Test func aReviewerWorksTheQueueAndReachesNothingElse() throws {
        let workspace = try SampleWorkspace()
        try TestDatabase.withFreshDatabase { url in
            let owner = try Connection(url)
            try Migrator().migrate(owner, logger: quiet)
            try withTestLogin(in: "lastmile_loader, lastmile_consent_importer", owner) { nightlyLogin, nightlyPass in
                try withTestLogin(in: "lastmile_reviewer", owner) { reviewerLogin, reviewerPass in
                    let nightly = url + " user=\(nightlyLogin) password=\(nightlyPass)"
                    let reviewer = url + " user=\(reviewerLogin) password=\(reviewerPass)"
                    let night = try lastmile(
                        ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-20"], as: nightly, in: workspace)
                    #expect(night.status == 0, "\(night.stderr)")
                    let item = try #require(
                        try owner.execute(
                            """
                            SELECT item_id, source, source_person_id, candidate_patient_id FROM lastmile.review_queue
                            WHERE candidate_patient_id IS NOT NULL ORDER BY item_id LIMIT 1
                            """
                        ).rows.first)
                    let id = try #require(item["item_id"])
                    let decide = ["--by", "jdoe", "--note", "checked"]
                    for arguments in [
                        ["review", "list"], ["review", "show", id, "--show-personal-data", "--by", "jdoe"],
                        ["review", "accept", id] + decide, ["review", "undo", id] + decide,
                        ["review", "reject", id] + decide, ["review", "undo", id] + decide,
                        ["review", "defer", id] + decide, ["review", "accept", id] + decide,
                        [
                            "review", "report-wrong-person", "--patient", try #require(item["candidate_patient_id"]),
                            "--source", try #require(item["source"]), "--source-person",
                            try #require(item["source_person_id"]),
                        ] + decide,
                        ["review", "export", "--html", "review/q.html", "--show-personal-data", "--by", "jdoe"],
                    ] {
                        let result = try lastmile(arguments, as: reviewer, in: workspace)
                        #expect(
                            result.status == 0,
                            "reviewer: \(arguments.prefix(2).joined(separator: " ")): \(result.stderr)")
                    }
                    let asReviewer = try Connection(reviewer)
                    for table in [
                        "attendance_day", "school_enrollment", "shelter_stay", "bed_night", "booking",
                        "housing_status", "flag", "disclosure", "consent_directive", "attribution", "report",
                    ] {
                        expectDenied(asReviewer, "SELECT count(*) FROM lastmile.\(table)")
                    }
                    expectDenied(asReviewer, "UPDATE lastmile.flag SET status = 'inactive'")
                    expectDenied(asReviewer, "DELETE FROM lastmile.attendance_day")
                    expectDenied(asReviewer, "DELETE FROM lastmile.review_decision")
                    expectDenied(asReviewer, "DELETE FROM lastmile.review_queue")
                    expectDenied(
                        asReviewer,
                        "INSERT INTO lastmile.run (pipeline, as_of, status) VALUES ('x', '2026-11-20', 'running')")
                    let refused = try lastmile(
                        ["run", "pipelines/nightly.yaml", "--as-of", "2026-11-21"], as: reviewer, in: workspace)
                    #expect(refused.status == 77, "reviewer: run: \(refused.stderr)")
                }
            }
        }
    }
}
