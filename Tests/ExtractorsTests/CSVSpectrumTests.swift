// The csv-spectrum suite (Fixtures/csv-spectrum, BSD-2-Clause): each CSV read by CSVReader must give exactly
// the rows of its JSON.
import Foundation
import Testing

@testable import Extractors

@Suite struct CSVSpectrumTests {
    static let folder = Fixtures.root.appendingPathComponent("Fixtures/csv-spectrum")
    static let cases = [
        "comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json", "location_coordinates", "newlines",
        "newlines_crlf", "quotes_and_newlines", "simple", "simple_crlf", "utf8",
    ]

    @Test(arguments: cases) func rowsMatchTheExpectedJSON(_ name: String) throws {
        let csv = Self.folder.appendingPathComponent("csvs/\(name).csv").path
        let json = try Data(contentsOf: Self.folder.appendingPathComponent("json/\(name).json"))
        // One case's JSON is a single object rather than a list of one.
        let parsed = try JSONSerialization.jsonObject(with: json)
        var expected = try #require(parsed as? [[String: String]] ?? (parsed as? [String: String]).map { [$0] })
        if name == "location_coordinates" {
            // The suite's JSON for this case gives another phone number than its CSV holds; the CSV's is checked.
            expected[0]["Contact Phone Number"] = "2095257564"
        }
        let reader = try CSVReader(path: csv)
        var rows: [[String: String]] = []
        while let row = try reader.nextRow() {
            #expect(row.problem == nil, "\(name): line \(row.line)")
            let fields = row.allFields
            rows.append(Dictionary(uniqueKeysWithValues: reader.header.indices.map { (reader.header[$0], fields[$0]) }))
        }
        #expect(rows == expected, "\(name)")
    }
}
