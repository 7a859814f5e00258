// `lastmile validate` and `lastmile run` on copies of pipelines/ with one thing broken: exit 78 and a message
// naming file:line:column, the key path and what was expected; the shipped files pass.
import Foundation
import TestSupport
import Testing

@Suite struct ValidateCommandTests {
    /// A date every shipped agreement is in force on (the sample world's nights).
    static let asOf = "2026-11-20"

    /// A copy of pipelines/ and sample-data/, with scripts/ (the delivery program monday-absenteeism.yaml names).
    func makeWorkspace() throws -> SampleWorkspace {
        let workspace = try SampleWorkspace()
        try FileManager.default.copyItem(
            at: SampleWorkspace.repositoryRoot.appendingPathComponent("scripts"),
            to: workspace.root.appendingPathComponent("scripts"))
        return workspace
    }

    func validate(_ workspace: SampleWorkspace, asOf: String = Self.asOf) throws -> CommandResult {
        try LastMileBinary.run(["validate", "--pipelines", "pipelines", "--as-of", asOf], in: workspace.root)
    }

    /// Every problem line (after the count line) starts with `pipelines/…yaml:LINE:COLUMN: `.
    func expectEveryProblemIsLocated(_ result: CommandResult) {
        let lines = result.stderr.split(separator: "\n").map { line in
            // One problem follows "lastmile: " on its line; several follow a count line, indented.
            let text = line.trimmingCharacters(in: .whitespaces)
            return text.hasPrefix("lastmile: ") ? String(text.dropFirst("lastmile: ".count)) : text
        }
        .filter { $0.hasPrefix("pipelines/") }
        #expect(!lines.isEmpty, "\(result.stderr)")
        for line in lines {
            #expect(
                line.range(of: #"^pipelines/[a-z/-]+\.yaml:\d+:\d+: "#, options: .regularExpression) != nil, "\(line)")
        }
    }

    @Test func theShippedFilesAreValid() throws {
        let result = try validate(try makeWorkspace())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.contains(
                "1 pipeline(s), 1 delivery pipeline(s), 1 consent policy(s), 5 source config(s), 1 match model(s)"))
        #expect(!result.stderr.contains("warning"), "\(result.stderr)")
    }

    /// A code column joined from two columns makes codes no layout map knows: validate asks for codes:.
    @Test func aCodeColumnJoinedFromColumnsNeedsItsCodesMapped() throws {
        let workspace = try makeWorkspace()
        let concat = "transforms:\n  - concat: { columns: [status, excuse], separator: \"\", into: attendance_code }\n"
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: "attendance: positive\n",
            with: "attendance: positive\n" + concat)
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "pipelines/sources/riverside-usd.yaml:15:57: transforms[0].concat.into: builds attendance_code from "
                    + "joined columns, but codes.attendance_code maps none of the codes it makes"), "\(result.stderr)")
        expectEveryProblemIsLocated(result)
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: concat,
            with: concat + "codes:\n  attendance_code: { AU: absent-unexcused, AE: absent-excused }\n")
        let mapped = try validate(workspace)
        #expect(mapped.status == 0, "\(mapped.stderr)")
    }

    @Test func aSourceConfigNoPipelineRunsIsAWarningNamingTheFile() throws {
        let workspace = try makeWorkspace()
        try workspace.edit("pipelines/nightly.yaml", replacing: "  - county-jail\n", with: "")
        let result = try validate(workspace)
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
        #expect(warnings.count == 1, "\(result.stderr)")
        #expect(
            warnings.first?.hasPrefix(
                "warning: pipelines/sources/county-jail.yaml:3:1: source: county-jail is in no pipeline's sources"
            ) == true, "\(result.stderr)")
    }

    @Test func aSourceNamingAMissingAgreementFails() throws {
        let workspace = try makeWorkspace()
        try workspace.edit("pipelines/sources/coc-hmis.yaml", replacing: "coc-hmis-roi-2026", with: "coc-hmis-dsa-2026")
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "pipelines/sources/coc-hmis.yaml:7:1: agreement: not in the consent policy; expected coc-hmis-roi-2026")
        )
        expectEveryProblemIsLocated(result)
    }

    @Test func aSourceWhoseAgreementExpiredOnTheDateFails() throws {
        let result = try validate(try makeWorkspace(), asOf: "2027-01-04")
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "pipelines/sources/coc-hmis.yaml:7:1: agreement: coc-hmis-roi-2026 expired 2026-12-31"))
    }

    @Test func aMistypedPolicyKeyAndAnUnknownSourceAreReportedTogether() throws {
        let workspace = try makeWorkspace()
        try workspace.edit(
            "pipelines/consent-policy.yaml", replacing: "  court_orders_final:", with: "  court_order_final:")
        try workspace.edit("pipelines/nightly.yaml", replacing: "  - ce-by-name-list\n", with: "  - ce-by-name-lists\n")
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                ": guardians.court_order_final: unknown key (did you mean court_orders_final?)"))
        #expect(
            result.stderr.contains(
                "pipelines/nightly.yaml:12:5: sources[4]: unknown source ce-by-name-lists: no source config"))
        expectEveryProblemIsLocated(result)
    }

    @Test func aMistypedNumberIsAnErrorNotADefault() throws {
        let workspace = try makeWorkspace()
        try workspace.edit("pipelines/nightly.yaml", replacing: "retention_days: 30", with: "retention_days: \"x\"")
        try workspace.edit("pipelines/nightly.yaml", replacing: "lock_wait_seconds: 0", with: "lock_wait_seconds: 1.5")
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(result.stderr.contains("pipelines/nightly.yaml:24:19: rejects.retention_days: expected a whole number"))
        #expect(result.stderr.contains("pipelines/nightly.yaml:25:20: lock_wait_seconds: expected a whole number"))
        expectLineOrder(result, in: "pipelines/nightly.yaml")
    }

    /// A file's problems come in line order, whatever order the checks found them in.
    func expectLineOrder(_ result: CommandResult, in file: String) {
        let lines = result.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: file + ":") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        #expect(lines.count >= 2, "\(result.stderr)")
        #expect(lines == lines.sorted(), "\(lines)")
    }

    @Test func aDuplicateKeyNamesBothLines() throws {
        let workspace = try makeWorkspace()
        let file = "pipelines/monday-absenteeism.yaml"
        let text = try String(contentsOf: workspace.root.appendingPathComponent(file), encoding: .utf8)
        let index = try #require(
            text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(of: "purpose: TREAT"))
        try workspace.edit(file, replacing: "purpose: TREAT\n", with: "purpose: TREAT\npurpose: COC\n")
        let result = try validate(workspace)
        #expect(result.status == 78)
        let (first, second) = (index + 1, index + 2)
        #expect(
            result.stderr.contains(
                "\(file):\(first):1: purpose: duplicate key: first at line \(first); again at line \(second)"),
            "\(result.stderr)")
    }

    /// Issue 18: the Monday list's next steps and school directories are checked by validate, not on Monday.
    @Test func aBadNextStepOrSchoolDirectoryFailsValidation() throws {
        let workspace = try makeWorkspace()
        try workspace.edit(
            "pipelines/monday-absenteeism.yaml", replacing: "  at-risk: \"Mention",
            with: "  at-risk: \"\"\n  urgent: \"Mention")
        try Data("school_id,school_name,liaison_phone\n101,Riverside Elementary,\n101,Again,\n".utf8)
            .write(to: workspace.sampleData.appendingPathComponent("schools-riverside-usd.csv"))
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(
            result.stderr.range(
                of: #"monday-absenteeism\.yaml:\d+:\d+: next_steps\.at-risk: expected a non-empty text value"#,
                options: .regularExpression) != nil, "\(result.stderr)")
        #expect(result.stderr.contains("next_steps.urgent: unknown key"))
        #expect(result.stderr.contains("schools-riverside-usd.csv:3: school_id: this id is already on an earlier line"))
        #expect(!result.stderr.contains("Again"))
    }

    @Test func aYAMLSyntaxErrorHasLineColumnAndReason() throws {
        let workspace = try makeWorkspace()
        try workspace.edit(
            "pipelines/sources/county-jail.yaml", replacing: "category: justice", with: "category: [justice")
        let result = try validate(workspace)
        #expect(result.status == 78)
        let line = result.stderr.split(separator: "\n").first { $0.contains("county-jail.yaml") }.map(String.init) ?? ""
        #expect(
            line.range(of: #"county-jail\.yaml:\d+:\d+: not valid YAML: \S+"#, options: .regularExpression) != nil,
            "\(result.stderr)")
    }

    @Test func aNestedMistakeNamesItsOwnLine() throws {
        let workspace = try makeWorkspace()
        try workspace.edit(
            "pipelines/sources/riverside-usd.yaml", replacing: "csv: { delimiter: \",\", encoding: utf-8 }\n",
            with: """
                csv: { delimiter: ",", encoding: utf-8 }
                columns:
                  birth_date:
                    header: DOB
                    formats: ["MM/DD/YYYY", "QQ"]

                """)
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "pipelines/sources/riverside-usd.yaml:13:29: columns.birth_date.formats[1]: not a date format"),
            "\(result.stderr)")
    }

    @Test func aListThresholdThatDiffersFromTheNightlyRuleFails() throws {
        let workspace = try makeWorkspace()
        try workspace.edit(
            "pipelines/monday-absenteeism.yaml", replacing: "  include_at_risk: true\n",
            with: "  include_at_risk: true\n  chronic_threshold: 0.12\n")
        let result = try validate(workspace)
        #expect(result.status == 78)
        #expect(
            result.stderr.contains(
                "pipelines/monday-absenteeism.yaml:27:3: list.chronic_threshold: 0.12 differs from flags.absenteeism"))
    }

    @Test func runRefusesASourceWithoutItsAgreementBeforeConnecting() throws {
        let workspace = try makeWorkspace()
        try workspace.edit(
            "pipelines/sources/county-jail.yaml", replacing: "county-jail-mou-2026", with: "county-jail-dsa-2026")
        // No warehouse listens on port 1: a 69 would mean the run got as far as connecting.
        let result = try LastMileBinary.run(
            ["run", "pipelines/nightly.yaml", "--as-of", Self.asOf, "--database", "postgresql://127.0.0.1:1/none"],
            in: workspace.root)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("pipelines/sources/county-jail.yaml:7:1: agreement: not in the consent policy"))
    }
}
