// Issue 18 end to end against PostgreSQL: the pipeline file's school directory and next steps, the stored
// attendance days' recent counts and trend, and the badges consent lets the practice see, on the written list.
import Delivery
import Foundation
import LastMileCore
import Logging
import Reports
import TestSupport
import Testing
import Warehouse

@Suite struct ClinicalRowTests {
    let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A pipeline file naming a school directory and next steps, written into `directory` with the directory.
    func pipeline(in directory: URL) throws -> DeliveryPipelineConfig {
        try Data("school_id,school_name,liaison_phone\nRHS-01,Riverside Heights School,541-555-0199\n".utf8)
            .write(to: directory.appendingPathComponent("schools-riverside.csv"))
        let yaml = """
            pipeline: monday-absenteeism
            purpose: TREAT
            consent_policy: consent-policy.yaml
            templates: \(repositoryRoot.appendingPathComponent("pipelines/templates").path)
            outbox: outbox
            school_directories:
              riverside-usd: schools-riverside.csv
            next_steps:
              severe: "Call the family this week; loop in the school liaison."
              moderate: "Ask about attendance at the next visit."
            """
        return try DeliveryPipelineConfig(yaml: yaml, file: "monday.yaml", baseDirectory: directory)
    }

    /// Whole-day absences for P900001 (riverside-usd): three last week, one four weeks back, one before the
    /// trend; a present day and another source's absence that must not count.
    func insertAbsences(_ db: Connection) throws {
        let days = [
            ("2026-09-01", "absent-unexcused"), ("2026-10-26", "absent-excused"), ("2026-11-16", "absent-unexcused"),
            ("2026-11-17", "absent-excused"), ("2026-11-18", "absent-unexcused"), ("2026-11-13", "present"),
        ]
        try db.execute("SELECT lastmile.ensure_school_year_partition('attendance_day', 2026)")
        for (date, status) in days {
            try db.execute(
                """
                INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id, status,
                    run_id)
                VALUES ('riverside-usd', 'S-1', $1::date, 'P900001', 'RHS-01', $2, 1)
                """, [date, status])
        }
        try db.execute(
            """
            INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id, status,
                run_id)
            VALUES ('lakeside-edfi', 'L-9', '2026-11-17', 'P900001', 'LK-1', 'absent-unexcused', 1)
            """)
    }

    @Test func theWrittenListShowsSchoolRecentCountsTrendNextStepAndOnlyPermittedBadges() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            try insertAbsences(db)
            let dir = try TemporaryDirectory()
            let config = try pipeline(in: dir.url)
            #expect(config.listOptions.nextSteps[.atRisk] == nil)
            let report = AbsenteeismReport(
                connection: db, config: config, gate: try testGate(), clock: reportClock, logger: quiet)
            let outcome = try #require(
                try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay).first)
            let html = try String(contentsOf: outcome.files[1], encoding: .utf8)

            let zephyrine = try #require(row(html, containing: "Quillfeather, Zephyrine"))
            #expect(zephyrine.contains("Riverside Heights School · <span class=\"id\">grade 04</span>"))
            #expect(zephyrine.contains("<span class=\"phone\">541-555-0199</span>"))
            #expect(zephyrine.contains("data-label=\"Last 30 days\"><strong>4</strong>"))
            #expect(zephyrine.contains(">2 / 3 / <span title="))
            #expect(
                zephyrine.contains(
                    "role=\"img\" aria-label=\"Days absent per week, last 8 weeks, oldest first: 0, 0, 0, 0, 1, 0, 0, 3\""
                ))
            #expect(zephyrine.contains("Call the family this week; loop in the school liaison."))
            // The shelter agreement covers pediatrics for treatment: the badge shows.
            #expect(zephyrine.contains("<span class=\"badge sheltered-homelessness\">Sheltered homelessness</span>"))
            // P900007 denied housing data: no badge. P900005's release: the jail agreement leaves pediatrics out.
            let gwendolyx = try #require(row(html, containing: "Tarrowmere, Gwendolyx"))
            #expect(!gwendolyx.contains("class=\"badge"))
            #expect(gwendolyx.contains("<td class=\"next-step\" data-label=\"Next step\"></td>"))
            let euphemon = try #require(row(html, containing: "Strickwold, Euphemon"))
            #expect(!euphemon.contains("class=\"badge"))
            #expect(euphemon.contains("Ask about attendance at the next visit."))
            // No absence stored for a listed patient: zero counts and a flat line, not a blank.
            #expect(euphemon.contains("data-label=\"Last 30 days\"><strong>0</strong>"))

            let rows = try csvRows(outcome.files[0])
            let first = try #require(rows.first)
            #expect(first[4] == "P900001")
            #expect(first[5] == "Riverside Heights School")
            #expect(first[13] == "Sheltered homelessness")
            #expect(
                Array(first[14...]) == [
                    "RHS-01", "541-555-0199", "4", "2", "3", "0 0 0 0 1 0 0 3",
                    "Call the family this week; loop in the school liaison.", "2026-11-20 (riverside-usd)", "—",
                ])
        }
    }

    /// Issue 18: a stored `absent-illness` day is an absence on the list, counted in its own column; the other
    /// rows of a feed that codes illness show 0, not "—".
    @Test func storedIllnessDaysAreCountedAndMakeTheFeedsZeroKnown() throws {
        try TestDatabase.withFreshDatabase { url in
            let db = try loadWorld(url)
            try insertAbsences(db)
            // The world's present Thursday 2026-11-19 corrected to an illness day.
            try db.execute(
                """
                UPDATE lastmile.attendance_day SET status = 'absent-illness'
                WHERE source = 'riverside-usd' AND student_id = 'S-1' AND attendance_date = '2026-11-19'
                """)
            let dir = try TemporaryDirectory()
            let report = AbsenteeismReport(
                connection: db, config: try pipeline(in: dir.url), gate: try testGate(), clock: reportClock,
                logger: quiet)
            let outcome = try #require(
                try report.run(weekOf: week1, practices: ["riverside-peds"], on: reportDay).first)
            let rows = try csvRows(outcome.files[0])
            let first = try #require(rows.first)
            #expect(first[4] == "P900001")
            #expect(Array(first[16...19]) == ["5", "2", "3", "0 0 0 0 1 0 0 4"])
            #expect(first.last == "1")
            let riverside = rows.dropFirst().filter { $0[21] == "2026-11-20 (riverside-usd)" }
            #expect(!riverside.isEmpty)
            #expect(riverside.allSatisfy { $0.last == "0" })
            let html = try String(contentsOf: outcome.files[1], encoding: .utf8)
            let zephyrine = try #require(row(html, containing: "Quillfeather, Zephyrine"))
            #expect(zephyrine.contains("data-label=\"Excused / unexcused / ill\">2 / 3 / 1</td>"))
        }
    }

    @Test func aBadSchoolDirectoryOrNextStepIsAConfigurationErrorWithFileAndLine() throws {
        let dir = try TemporaryDirectory()
        try Data("school_id,school_name\nRHS-01,Riverside Heights\nRHS-01,Again\n,No id\n".utf8)
            .write(to: dir.url.appendingPathComponent("schools.csv"))
        let yaml = """
            consent_policy: consent-policy.yaml
            outbox: outbox
            school_directories:
              riverside-usd: schools.csv
              lakeside-edfi: missing.csv
            next_steps:
              severe: ""
              urgent: "Call."
            """
        let error = #expect(throws: ConfigError.self) {
            _ = try DeliveryPipelineConfig(yaml: yaml, file: "monday.yaml", baseDirectory: dir.url)
        }
        let text = error?.description ?? ""
        #expect(error?.exitStatus == .configuration)
        #expect(text.contains("schools.csv:3: school_id: this id is already on an earlier line"), "\(text)")
        #expect(text.contains("schools.csv:4: school_id and school_name: expected a value in each"))
        #expect(text.contains("missing.csv"))
        #expect(text.contains("monday.yaml:7:11: next_steps.severe: expected a non-empty text value"))
        #expect(text.contains("next_steps.urgent: unknown key"))
        #expect(!text.contains("Riverside Heights"))
    }

    /// The `<tr>…</tr>` of the list's table that contains `text`.
    func row(_ html: String, containing text: String) -> String? {
        html.components(separatedBy: "<tr>").map { $0.components(separatedBy: "</tr>")[0] }
            .first { $0.contains(text) }
    }
}
