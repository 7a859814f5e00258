/// Finds which header of a new feed is which lastmile column, for `lastmile source init`.
///
/// Headers and column names are compared as words: `StudentUSI`, `student_id` and `Student Number` become
/// `student usi`, `student id`, `student number`; common abbreviations are spelled out (`Att_Date` is
/// `attendance date`, `DOB` is `birth date`). A header scores 1 against a column when its words equal the
/// column's name, default header, aliases or one of its synonyms, and the share of shared words otherwise.
public enum HeaderMatcher {
    /// A header scoring at least this against a column is proposed for it.
    public static let acceptScore = 0.6
    /// Other headers scoring at least this are listed as alternatives.
    public static let alternativeScore = 0.5

    /// One proposed header for a lastmile column, with the other headers that could be it.
    public struct Match: Sendable, Equatable {
        /// 0-based position of the header.
        public var index: Int
        public var score: Double
        /// Other headers (0-based positions) that fit, best first.
        public var alternatives: [Int]
    }

    /// Other names feeds use for lastmile's columns, beyond each layout's header and aliases.
    static let synonyms: [String: [String]] = [
        "student_id": [
            "student number", "student usi", "student unique id", "student", "stu id", "pupil id", "local id",
            "sis id", "state student id", "student no", "pupil", "pupil number", "pupil reference", "upn",
            "student reference",
        ],
        "client_id": ["client", "personal id", "person id", "participant id"],
        "first_name": ["first", "given name", "first given", "legal first", "student first name", "fname"],
        "middle_name": ["middle", "middle initial", "mi", "mname"],
        "last_name": ["last", "surname", "family name", "last surname", "legal last", "student last name", "lname"],
        "suffix": ["name suffix", "generation code"],
        "birth_date": ["birth date", "date of birth", "birthday", "dob", "birth dt"],
        "sex": ["gender", "sex descriptor", "sex code"],
        "grade": ["grade level", "grd", "grade level descriptor"],
        "school_id": ["school", "school number", "school code", "campus", "site id", "building", "school no"],
        "school_name": ["campus name", "site name", "building name"],
        "attendance_date": [
            "attendance date", "absence date", "event date", "calendar date", "date", "day", "att date",
        ],
        "attendance_code": [
            "attendance code", "absence code", "code", "attendance", "status code", "event category",
            "attendance event category descriptor", "att code", "attendance type", "mark", "attendance mark",
            "register mark",
        ],
        "minutes_absent": ["minutes", "mins", "minutes missed", "absent minutes"],
        "guardian_name": ["parent name", "guardian", "contact name"],
        "guardian_phone": ["phone", "parent phone", "home phone", "contact phone", "guardian telephone"],
        "phone": ["telephone", "phone number", "home phone"],
        "address_line": ["address", "street", "street address", "address 1"],
        "postal_code": ["zip", "zip code", "postcode", "postal"],
        "booking_number": ["booking", "booking no", "booking id", "book number"],
        "booking_datetime": ["booking date", "booked at", "booking time", "book date"],
        "release_datetime": ["release date", "released at", "release time"],
        "record_id": ["record", "id", "record number"],
        "status_date": ["date", "effective date", "status effective date"],
    ]

    /// Abbreviations spelled out before comparing (one word to one or more).
    static let abbreviations: [String: [String]] = [
        "num": ["number"], "no": ["number"], "nbr": ["number"], "nr": ["number"], "att": ["attendance"],
        "attend": ["attendance"], "stu": ["student"], "dt": ["date"], "dob": ["birth", "date"],
        "fname": ["first", "name"],
        "lname": ["last", "name"], "zip": ["postal"], "tel": ["phone"], "telephone": ["phone"], "yr": ["year"],
        "nm": ["name"], "cd": ["code"], "gr": ["grade"], "bldg": ["building"], "ref": ["reference"],
        "descriptor": [], "firstname": ["first", "name"], "lastname": ["last", "name"], "birthdate": ["birth", "date"],
    ]

    /// The words of a header or name: split at non-letters, case changes (`StudentUSI` → student, usi) and
    /// letter-digit changes, lower-cased, abbreviations spelled out.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        let characters = Array(text)
        for (i, c) in characters.enumerated() {
            guard c.isLetter || c.isNumber else {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            if let last = current.last {
                let next = i + 1 < characters.count ? characters[i + 1] : nil
                let camel = last.isLowercase && c.isUppercase
                let acronymEnd = last.isUppercase && c.isUppercase && (next?.isLowercase ?? false)
                let digitChange = last.isNumber != c.isNumber
                if camel || acronymEnd || digitChange {
                    words.append(current)
                    current = ""
                }
            }
            current.append(c)
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }.flatMap { abbreviations[$0] ?? [$0] }
    }

    /// How well `header` fits a column known by `names`, 0…1.
    public static func score(header: String, names: [String]) -> Double {
        let h = words(header)
        guard !h.isEmpty else { return 0 }
        var best = 0.0
        for name in names {
            let n = words(name)
            if n == h || n.joined() == h.joined() { return 1 }
            let shared = Set(n).intersection(h).count
            best = max(best, 2 * Double(shared) / Double(n.count + h.count))
        }
        return best
    }

    /// Every name a column is known by: its lastmile name, the layout's header and aliases, and synonyms.
    static func names(of spec: ColumnSpec) -> [String] {
        [spec.name, spec.header] + spec.aliases + (synonyms[spec.name] ?? [])
    }

    /// The best header for each column of `layout` (a header goes to one column at most: the best-scoring pairs
    /// are taken first, layout order breaking ties). Columns with no header scoring `acceptScore` are absent.
    public static func match(header: [String], layout: SourceLayout) -> [String: Match] {
        var pairs: [(column: Int, header: Int, score: Double)] = []
        var scores: [[Double]] = []
        for (c, spec) in layout.columns.enumerated() {
            let names = names(of: spec)
            let row = header.map { score(header: $0, names: names) }
            scores.append(row)
            for (h, s) in row.enumerated() where s >= acceptScore { pairs.append((c, h, s)) }
        }
        pairs.sort { ($0.score, -$0.column, -$0.header) > ($1.score, -$1.column, -$1.header) }
        var taken: Set<Int> = []
        var chosen: [(column: Int, header: Int, score: Double)] = []
        for pair in pairs where !taken.contains(pair.header) && !chosen.contains(where: { $0.column == pair.column }) {
            taken.insert(pair.header)
            chosen.append(pair)
        }
        // A header another column matched exactly is no alternative.
        let exact = Set(chosen.filter { $0.score >= 1 }.map(\.header))
        var result: [String: Match] = [:]
        for pair in chosen {
            let others = scores[pair.column].enumerated()
                .filter { $0.offset != pair.header && !exact.contains($0.offset) && $0.element >= alternativeScore }
                .sorted { ($0.element, -$0.offset) > ($1.element, -$1.offset) }.map(\.offset)
            result[layout.columns[pair.column].name] = Match(
                index: pair.header, score: pair.score, alternatives: others)
        }
        return result
    }
}
