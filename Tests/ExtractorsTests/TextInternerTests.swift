import LastMileCore
import Testing

@testable import Extractors

/// The per-column value cache must hand out exactly what decoding each row's bytes would give.
@Suite struct TextInternerTests {
    static let header =
        "student_id,first_name,middle_name,last_name,suffix,birth_date,sex,grade,school_id,school_name,attendance_date,attendance_code\n"

    /// A synthetic row whose school name and family name vary as given.
    static func row(_ i: Int, family: String, school: String) -> String {
        "S\(i),Ana,,\(family),,2012-01-02,F,03,SCH,\(school),2026-09-01,P\n"
    }

    @Test func valuesThatShareTheirFirstAndLastBytesStayDistinct() throws {
        // Longer than 16 bytes, same first 8 and last 8 bytes: only a byte-for-byte comparison tells them apart.
        let schools = ["Riverside AAAA Elementary", "Riverside BBBB Elementary", "Riverside AAAB Elementary"]
        // Up to 16 bytes, differing in one byte only, at the start, middle or end.
        let families = [
            "Okafor", "Okafar", "Okafor-Lee", "Okafor-Lea", "Xkafor", "Okafor-Lee-Park1", "Okafor-Lee-Park2",
        ]
        var text = Self.header
        var expected: [(String, String)] = []
        for i in 0..<3000 {
            let school = schools[(i * 7) % schools.count]
            let family = families[(i * 5) % families.count]
            text += Self.row(i, family: family, school: school)
            expected.append((family, school))
        }
        let sink = try extract(.defaults(for: "school-attendance"), Scratch.csv(text))
        #expect(sink.rejections.isEmpty)
        try #require(sink.records.count == expected.count)
        for (record, want) in zip(sink.records, expected) {
            guard case .attendance(let day) = record.event else {
                Issue.record("not an attendance day")
                return
            }
            #expect(record.person.familyName == want.0)
            #expect(day.schoolName == want.1)
        }
    }

    @Test func aColumnOfUniqueValuesStillReadsEveryValue() throws {
        // Unique ids switch the cache off for their column after its sample; values must not change across it.
        var text = Self.header
        for i in 0..<(TextInterner.sampleSize * 2) { text += Self.row(i, family: "Park", school: "Elm") }
        let sink = try extract(.defaults(for: "school-attendance"), Scratch.csv(text))
        #expect(sink.records.map(\.person.sourcePersonId) == (0..<(TextInterner.sampleSize * 2)).map { "S\($0)" })
    }

    @Test func windows1252ValuesAreCachedAsTheirDecodedText() throws {
        // 0x93/0x94 are curly quotes in windows-1252; the same bytes on every row must decode the same way.
        var bytes = Array(Self.header.utf8)
        for i in 0..<50 {
            bytes +=
                Array("S\(i),Ana,,".utf8) + [0x93, 0x4F, 0x94] + Array(",,2012-01-02,F,03,SCH,Elm,2026-09-01,P\n".utf8)
        }
        var config = SourceConfig.defaults(for: "school-attendance")
        config.dialect.encoding = .windows1252
        let sink = try extract(config, Scratch.bytes(bytes))
        #expect(sink.records.count == 50)
        #expect(sink.records.allSatisfy { $0.person.familyName == "\u{201C}O\u{201D}" })
    }
}
