// Transforms in YAML (issue 17): header on line N, constant, split, concat, trim, default, value maps; their
// config problems at file:line:column; and the shelter-roster extractor they make usable.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct TransformTests {
    static let housing = """
        source: county-bnl
        extractor: housing-registry
        category: housing
        agreement: county-bnl-dsa
        """

    func config(_ yaml: String) throws -> SourceConfig {
        let (parsed, problems) = SourceConfig.parse(yaml: yaml, file: "test.yaml")
        #expect(problems.isEmpty, "\(problems)")
        let config = try #require(parsed)
        #expect(config.validate().isEmpty, "\(config.validate())")
        return config
    }

    @Test func aTitleLineAboveTheHeaderIsSkippedAndLinesStayPhysical() throws {
        let yaml =
            Self.housing + """

                header_line: 3
                transforms:
                  - constant: { into: record_type, value: by-name-list }
                """
        let text = """
            "By-name list, exported 11/20/2026 (quote never closed
            Site: North
            record_id,first_name,last_name,birth_date,status,status_date
            R1,Jan,Doe,1990-05-04,active,2026-11-20
            R2,Ann,Roe,1990-05-04,evicted,2026-11-20
            """
        let sink = try extract(try config(yaml), Scratch.csv(text, name: "bnl.csv"))
        #expect(sink.records.map(\.recordId) == ["R1"])
        #expect(sink.records.first?.provenance.line == 4)
        guard case .housingStatus(let event) = sink.records.first?.event else {
            Issue.record("not housing")
            return
        }
        #expect(event.recordType == .byNameList)
        #expect(sink.rejections.map(\.description).first?.hasPrefix("bnl.csv:5, column \"status\"") == true)
    }

    @Test func splitConcatTrimDefaultAndMapChangeFieldsBeforeTheMapping() throws {
        let yaml =
            Self.housing + """

                columns:
                  record_id: ID
                transforms:
                  - trim: { columns: [Client], characters: "*" }
                  - split: { column: Client, separator: ",", into: [last_name, first_name] }
                  - concat: { columns: [Street, Unit], separator: " #", into: address_line }
                  - default: { column: Type, value: BNL }
                  - map: { column: Type, values: { BNL: by-name-list, EV: eviction-filing }, into: record_type }
                  - map: { column: Site, values: { "0412": north }, unmapped: reject, into: program }
                  - constant: { into: status, value: active }
                  - constant: { into: status_date, value: "2026-11-20" }
                  - constant: { into: birth_date, value: "1990-05-04" }
                """
        let text = """
            ID,Client,Street,Unit,Type,Site
            R1,"**Doe-Smith,  Jan Q** ",1 Main St,4,,0412
            R2,Cher,2 Oak Ave,,BNL,0412
            R3,"Roe, Ann",3 Elm,,BNL,9999
            """
        let sink = try extract(try config(yaml), Scratch.csv(text))
        #expect(sink.records.map(\.recordId) == ["R1"])
        let person = try #require(sink.records.first?.person)
        #expect(person.familyName == "Doe-Smith" && person.givenName == "Jan Q")
        #expect(person.street == "1 Main St #4")
        guard case .housingStatus(let event) = sink.records.first?.event else {
            Issue.record("not housing")
            return
        }
        #expect(event.recordType == .byNameList && event.program == "north" && event.status == .active)
        // "Cher" has no comma: all of it is the last name, and the required first name is missing.
        #expect(
            sink.rejections.map(\.description) == [
                #"input.csv:3, column "first_name": a value is required"#,
                #"input.csv:4, column "Site": unknown code; expected one of 0412"#,
            ])
    }

    @Test func badTransformConfigIsReportedAtItsLineAndColumn() {
        let yaml =
            Self.housing + """

                header_line: 0
                fixed_width: { fields: { a: { start: 0 } } }
                transforms:
                  - spilt: { column: Name, into: [a, b] }
                  - split: { column: Name, into: [a] }
                  - map: { column: Site, unmapped: drop }
                  - constant: { into: record_type, value: shelter-list }
                  - concat: { columns: [A], into: B, separator: [x] }
                  - trim: { columns: [A], constant: x }
                """
        let (parsed, problems) = SourceConfig.parse(yaml: yaml, file: "pipelines/sources/county-bnl.yaml")
        let all = problems + (parsed?.validate() ?? [])
        let text = all.map(\.description)
        let expected = [
            "pipelines/sources/county-bnl.yaml:5:14: header_line: expected the header's line number, 1 to 1000",
            "pipelines/sources/county-bnl.yaml:6:38: fixed_width.fields.a.start: expected a 1-based character position",
            "pipelines/sources/county-bnl.yaml:6:26: fixed_width.fields.a.width: missing; expected a number of characters",
            "pipelines/sources/county-bnl.yaml:8:5: transforms[0].spilt: unknown key (did you mean split?)",
            "pipelines/sources/county-bnl.yaml:9:34: transforms[1].split.into: expected two field names, e.g. [last_name, first_name]",
            "pipelines/sources/county-bnl.yaml:10:5: transforms[2].map: missing values; expected a mapping of this feed's value to the value to use",
            "pipelines/sources/county-bnl.yaml:10:36: transforms[2].map.unmapped: expected keep or reject",
            "pipelines/sources/county-bnl.yaml:12:24: transforms[4].concat.columns: expected two or more columns",
            "pipelines/sources/county-bnl.yaml:12:49: transforms[4].concat.separator: expected a text value in quotes, e.g. \", \"",
            "pipelines/sources/county-bnl.yaml:13:27: transforms[5].trim.constant: unknown key; expected one of columns, characters",
            "pipelines/sources/county-bnl.yaml:5:1: header_line: a fixed-width source skips its top lines with fixed_width.skip_lines",
            "pipelines/sources/county-bnl.yaml:11:36: transforms[3].constant.value: not a code of record_type; expected one of bnl, by-name-list, eviction, eviction-filing",
        ]
        for line in expected { #expect(text.contains(line), "missing \(line)\nin \(text.joined(separator: "\n"))") }
        #expect(text.count == expected.count, "\(text.joined(separator: "\n"))")
    }

    @Test func hmisTakesNoTransforms() throws {
        let yaml = """
            source: coc-hmis
            extractor: hmis-csv
            category: shelter
            agreement: coc-dsa
            transforms:
              - constant: { into: x, value: y }
            """
        let (parsed, _) = SourceConfig.parse(yaml: yaml, file: "coc-hmis.yaml")
        #expect(
            parsed?.validate().map(\.description) == [
                "coc-hmis.yaml:5:1: transforms: hmis-csv reads a fixed national format; transforms does not apply"
            ])
    }

    // MARK: shelter-roster

    @Test func aShelterRosterGivesTheStaysAndBedNightsHMISWould() throws {
        let yaml = """
            source: harbor-shelter
            extractor: shelter-roster
            category: shelter
            agreement: harbor-dsa
            columns:
              birth_date: { header: DOB, formats: ["M/D/YYYY"] }
              entry_date: { header: In, formats: ["M/D/YYYY"] }
              exit_date: { header: Out, formats: ["M/D/YYYY"] }
              bed_date: { header: Night, formats: ["M/D/YYYY"] }
            transforms:
              - split: { column: Guest, separator: ",", into: [last_name, first_name] }
            """
        let text = """
            Guest,DOB,In,Out,Night
            "Doe, Jan",5/4/1990,11/1/2026,11/9/2026,
            "Roe, Ann",6/7/1985,,,11/19/2026
            "Poe, Al",6/7/1985,11/10/2026,11/2/2026,
            "Moe, Bo",6/7/1985,,,
            """
        let sink = try extract(try config(yaml), Scratch.csv(text, name: "roster.csv"))
        #expect(sink.records.count == 2)
        guard case .shelterStay(let stay) = sink.records[0].event, case .bedNight(let night) = sink.records[1].event
        else {
            Issue.record("expected a stay and a bed night")
            return
        }
        #expect(stay.projectType == 0 && stay.projectId == "harbor-shelter")
        #expect(
            stay.entryDate == CivilDate(year: 2026, month: 11, day: 1)
                && stay.exitDate == CivilDate(year: 2026, month: 11, day: 9))
        #expect(night.projectType == 1 && night.date == CivilDate(year: 2026, month: 11, day: 19))
        #expect(sink.records[0].person.familyName == "Doe" && sink.records[0].person.givenName == "Jan")
        #expect(sink.records[0].recordId.hasPrefix("stay:roster-") && sink.records[0].recordId.count == 28)
        #expect(
            sink.rejections.map(\.description) == [
                #"roster.csv:4, column "Out": expected an exit date on or after the entry date"#,
                #"roster.csv:5, column "In": a value is required"#,
            ])
        // The same roster again gives the same ids: a re-sent roster updates its stays.
        let again = try extract(try config(yaml), Scratch.csv(text, name: "roster.csv"))
        #expect(again.records.map(\.recordId) == sink.records.map(\.recordId))
    }
}
