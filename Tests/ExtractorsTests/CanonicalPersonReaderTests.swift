// Proves CanonicalPersonReader reads the shared person schema, rejects bad rows without echoing values, and
// refuses a file whose header lacks a schema column.
import Foundation
import LastMileCore
import Testing

@testable import Extractors

@Suite struct CanonicalPersonReaderTests {
    static let header = "id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn\n"

    @Test func readsPeopleAndRejectsBadRows() throws {
        let text =
            Self.header + """
                P000001,Maria,Lopez,2014-03-09,F,12 Oak St,Riverside,CA,92501,555-0100,123-45-6789
                P000002,Sam,,,,,,,,,
                ,No,Id,2014-01-01,M,,,,,,
                P000004,Bad,Date,03/09/2014,M,,,,,,
                P000005,Bad,Sex,2014-01-01,Q,,,,,,

                """
        let path = Scratch.csv(text, name: "mpi.csv")
        let (people, rejections) = try CanonicalPersonReader.readAll(path: path)
        #expect(people.map(\.id) == ["P000001", "P000002"])
        let maria = people[0].person
        #expect(maria.givenName == "Maria" && maria.familyName == "Lopez")
        #expect(maria.birthDate == CivilDate(year: 2014, month: 3, day: 9))
        #expect(maria.sex == .female && maria.postalCode == "92501" && maria.phone == "555-0100")
        #expect(maria.ssn == "123456789" && maria.ssnLast4 == "6789" && maria.sourcePersonId == "P000001")
        #expect(people[1].person.familyName == nil && people[1].person.birthDate == nil)
        #expect(people.map(\.line) == [2, 3])
        #expect(rejections.map(\.line) == [4, 5, 6])
        #expect(rejections.map(\.column) == ["id", "birth_date", "sex"])
        #expect(rejections.map(\.code) == ["missing-required", "unparseable-date", "unknown-code"])
        for rejection in rejections {
            for value in ["03/09/2014", "Bad", "Q", "No"] { #expect(!"\(rejection)".contains(value)) }
        }
    }

    @Test func columnsMayComeInAnyOrderAndCase() throws {
        let path = Scratch.csv(
            "SSN,ID,Given Name,Family_Name,Birth_Date,Sex,Street,City,State,Postal Code,Phone\n,9,A,B,,,,,,,\n")
        let (people, _) = try CanonicalPersonReader.readAll(path: path)
        #expect(people.first?.id == "9" && people.first?.person.givenName == "A" && people.first?.person.ssn == nil)
    }

    @Test func aMissingSchemaColumnFailsBeforeAnyRowAndListsTheHeader() throws {
        let path = Scratch.csv("id,given_name,family_name,birth_date,sex\nP1,A,B,2000-01-01,F\n")
        let error = inputError { _ = try CanonicalPersonReader(path: path) }
        guard case .missingColumns(let missing, let present, let firstLine)? = error?.problem else {
            Issue.record("expected missing columns, got \(String(describing: error))")
            return
        }
        #expect(missing == ["street", "city", "state", "postal_code", "phone", "ssn"])
        #expect(present == ["id", "given_name", "family_name", "birth_date", "sex"])
        #expect(firstLine.fields == 5 && firstLine.detected == UInt8(ascii: ","))
    }

    @Test func aFileWithoutHeaderDoesNotEchoItsFirstRow() throws {
        let path = Scratch.csv("P1,Maria,Lopez,2014-03-09,F,12 Oak St,Riverside,CA,92501,555-0100,123456789\n")
        let error = try #require(inputError { _ = try CanonicalPersonReader(path: path) })
        #expect(!"\(error)".contains("Maria"))
        #expect("\(error)".contains("header row"))
    }
}
