// The sample world's personal data, read back from sample-data/ so the audit looks for every real value the
// synthetic people carry: names, birth dates in two spellings, SSNs, phones and street lines.
import Foundation
import Testing

/// Every personal value of the sample persons, grouped by kind, and a finder for them in text.
struct PersonalData {
    var names: Set<String> = []
    var birthDates: Set<String> = []
    var ssns: Set<String> = []
    var phones: Set<String> = []
    var streets: Set<String> = []
    /// Dates the inputs also carry as event dates (a school day, a booking): the sample has infants born on
    /// a day that is also someone's attendance date, and such a date alone says nothing about a person.
    var eventDates: Set<String> = []

    /// Columns holding each kind, as the sample's files name them (MPI, default layouts, Ed-Fi, HMIS).
    static let nameColumns: Set<String> = [
        "given_name", "family_name", "first_name", "last_name", "middle_name", "FirstName", "LastSurname",
        "MiddleName", "LastName", "guardian_name",
    ]
    static let birthColumns: Set<String> = ["birth_date", "BirthDate", "DOB"]
    static let ssnColumns: Set<String> = ["ssn", "SSN"]
    static let phoneColumns: Set<String> = ["phone", "guardian_phone"]
    static let streetColumns: Set<String> = ["street", "address_line"]

    /// Reads `mpi.csv` and every CSV under `inbox/` of a sample-data folder.
    init(sampleData: URL) throws {
        var files = [sampleData.appendingPathComponent("mpi.csv")]
        let inbox = sampleData.appendingPathComponent("inbox")
        let walker = FileManager.default.enumerator(at: inbox, includingPropertiesForKeys: nil)
        while let url = walker?.nextObject() as? URL {
            if url.pathExtension == "csv" { files.append(url) }
        }
        for file in files { try add(file) }
        birthDates.subtract(eventDates)
    }

    /// Plain splitting on commas: the sample has no quoted field with a comma in it (checked row by row).
    mutating func add(_ file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first else { return }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map(Self.unquote)
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(Self.unquote)
            #expect(fields.count == columns.count, "\(file.lastPathComponent): a field with a comma in it")
            guard fields.count == columns.count else { continue }
            for (column, value) in zip(columns, fields) where !value.isEmpty {
                if Self.nameColumns.contains(column) {
                    for part in value.split(whereSeparator: { !$0.isLetter }) where part.count >= 3 {
                        names.insert(String(part))
                    }
                } else if Self.birthColumns.contains(column) {
                    birthDates.insert(value)
                    let p = value.split(separator: "-")
                    if p.count == 3 { birthDates.insert("\(p[1])/\(p[2])/\(p[0])") }
                } else if Self.ssnColumns.contains(column), value.count == 9, value.allSatisfy(\.isNumber) {
                    ssns.insert(value)
                    ssns.insert("\(value.prefix(3))-\(value.dropFirst(3).prefix(2))-\(value.suffix(4))")
                } else if Self.phoneColumns.contains(column) {
                    phones.insert(value)
                    let digits = value.filter(\.isNumber)
                    if digits.count == 10 { phones.insert(digits) }
                } else if Self.streetColumns.contains(column) {
                    streets.insert(value)
                } else if value.count >= 10, value.prefix(10).filter({ $0 == "-" }).count == 2,
                    value.prefix(4).allSatisfy(\.isNumber)
                {
                    eventDates.insert(String(value.prefix(10)))
                    let p = value.prefix(10).split(separator: "-")
                    eventDates.insert("\(p[1])/\(p[2])/\(p[0])")
                }
            }
        }
    }

    static func unquote(_ field: Substring) -> String {
        var s = String(field)
        if s.count >= 2, s.hasPrefix("\""), s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
        return s.trimmingCharacters(in: .whitespaces)
    }

    /// The personal values found in `text`: names and numbers as whole tokens (a name inside a longer word,
    /// or a phone inside a longer number, is not a hit), dates and street lines as substrings.
    func leaks(in text: String) -> [String] {
        var found: Set<String> = []
        let words = Set(text.split(whereSeparator: { !$0.isLetter }).map(String.init))
        for name in names where words.contains(name) { found.insert("name \(name)") }
        let numbers = Set(text.split(whereSeparator: { !$0.isNumber && $0 != "-" }).map(String.init))
        for ssn in ssns where numbers.contains(ssn) { found.insert("ssn \(ssn)") }
        for phone in phones where numbers.contains(phone) { found.insert("phone \(phone)") }
        for date in birthDates where text.contains(date) { found.insert("birth date \(date)") }
        for street in streets where text.contains(street) { found.insert("street \(street)") }
        return found.sorted()
    }

    var count: Int { names.count + birthDates.count + ssns.count + phones.count + streets.count }
}
