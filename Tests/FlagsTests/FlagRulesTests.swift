// Proves the `flags:` section decodes from YAML with defaults for missing keys, rejects out-of-range values
// naming the key, and that reconciliation closes stored flags a new derivation no longer produces.
import Flags
import LastMileCore
import Testing
import Yams

@Suite struct FlagRulesTests {
    private struct PipelineFile: Decodable { var flags: FlagRules }

    @Test func decodesTheFlagsSectionWithDefaults() throws {
        let yaml = """
            sources: []
            flags:
              absenteeism:
                school_year_start: "08-15"
                chronic_threshold: 0.12
                partial_days: threshold
              justice:
                release_window_days: 14
            """
        let rules = try YAMLDecoder().decode(PipelineFile.self, from: yaml).flags
        #expect(rules.absenteeism.schoolYearStart == MonthDay(month: 8, day: 15))
        #expect(rules.absenteeism.chronicThreshold == 0.12)
        #expect(rules.absenteeism.partialDays == .threshold)
        #expect(rules.absenteeism.minimumEnrolledDays == 10)
        #expect(rules.absenteeism.atRiskThreshold == 0.05)
        #expect(rules.justice.releaseWindowDays == 14)
        #expect(rules.homelessness == HomelessnessRules())
        #expect(rules.absenteeism.schoolYearStart(containing: Fixture.date("2026-08-14")) == Fixture.date("2025-08-15"))
        let empty = try YAMLDecoder().decode(PipelineFile.self, from: "flags: {}").flags
        #expect(empty == FlagRules.default)
    }

    @Test func rejectsValuesOutOfRangeNamingTheKey() {
        let cases = [
            "flags: {absenteeism: {chronic_threshold: 0.02}}": "chronic_threshold",
            "flags: {absenteeism: {school_year_start: '02-29'}}": "school_year_start",
            "flags: {absenteeism: {minimum_enrolled_days: 0}}": "minimum_enrolled_days",
            "flags: {absenteeism: {partial_days: quarter}}": "partial_days",
            "flags: {justice: {release_window_days: 0}}": "release_window_days",
            "flags: {homelessness: {outreach_window_days: -3}}": "outreach_window_days",
            "flags: {housing: {housed_window_days: 0}}": "housed_window_days",
            "flags: {absenteeism: {chronic_treshold: 0.2}}": "chronic_treshold",
            "flags: {housing_rules: {}}": "housing_rules",
        ]
        for (yaml, key) in cases {
            do {
                _ = try YAMLDecoder().decode(PipelineFile.self, from: yaml)
                Issue.record("accepted \(key)")
            } catch let DecodingError.dataCorrupted(context) {
                #expect(
                    context.codingPath.map(\.stringValue).contains(key) || context.codingPath.last?.stringValue == key)
            } catch {
                Issue.record("unexpected error for \(key): \(error)")
            }
        }
    }

    @Test func reconciliationClosesStaleActiveFlagsOfEvaluatedSourcesOnly() {
        let asOf = Fixture.date("2026-11-20")
        func flag(_ source: String, _ start: String, _ status: FlagStatus = .active) -> Flag {
            Flag(
                patientId: "P1", kind: .shelteredHomelessness, codes: [], status: status,
                periodStart: Fixture.date(start), source: source)
        }
        let stored = [
            flag("coc-hmis", "2026-11-01"), flag("coc-hmis", "2026-01-01", .inactive), flag("other-coc", "2026-10-01"),
        ]
        let derived = [flag("coc-hmis", "2026-11-03")]  // the entry date was corrected
        let upserts = FlagReconciliation.upserts(stored: stored, derived: derived, sources: ["coc-hmis"], asOf: asOf)
        #expect(upserts.count == 2)
        #expect(upserts.contains(derived[0]))
        let closed = upserts.first { $0.periodStart == Fixture.date("2026-11-01") }
        #expect(closed?.status == .inactive)
        #expect(closed?.periodEnd == asOf)
        let all = FlagReconciliation.upserts(stored: stored, derived: derived, sources: nil, asOf: asOf)
        #expect(all.count == 3)
    }
}
