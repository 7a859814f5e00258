import LastMileCore

/// One person of a canonical person CSV, with the line it was read from.
public struct CanonicalPerson: Sendable, Hashable {
    /// The file's `id` (an MPI patient id or an incoming record id); also `person.sourcePersonId`.
    public var id: String
    public var person: PersonIdentity
    public var line: Int
    /// The values of the reader's `extraColumns` on this row, by column name (an empty field is absent).
    public var extras: [String: String] = [:]
}

/// Streams the canonical person CSV schema shared by the MPI extract and the matching benchmarks.
///
/// The schema is `id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn` (UTF-8,
/// comma, RFC 4180; columns found by name in any order, ignoring case, spaces and underscores). All eleven
/// columns must be in the header. `id` must be non-empty; `birth_date` is `YYYY-MM-DD` or empty; `sex` is
/// `F`, `M`, `X` or empty (any case); `ssn` keeps its digits only, and `ssnLast4` is set from it when it has
/// four or more. Every other field is kept as written, trimmed, nil when empty. A row that breaks these
/// rules is returned as a `RowRejection` (file, line, column, what was expected — never the value).
///
/// Usage:
///
/// ```swift
/// let reader = try CanonicalPersonReader(path: "sample-data/mpi.csv")
/// while let result = try reader.next() {
///     switch result {
///     case .success(let row): index.add(id: row.id, person: row.person)
///     case .failure(let rejection): rejected.append(rejection)   // e.g. "mpi.csv:17, column "birth_date": …"
///     }
/// }
/// // Or, for files that fit in memory:
/// let (people, rejections) = try CanonicalPersonReader.readAll(path: "incoming.csv")
/// ```
/// `init` and `next()` throw `InputError` (exit 65) when the file is unusable: missing, empty, not text, a
/// column missing, a field over 1 MiB.
public final class CanonicalPersonReader {
    /// The schema's columns, in the order files are written.
    public static let columns = [
        "id", "given_name", "family_name", "birth_date", "sex", "street", "city", "state", "postal_code", "phone",
        "ssn",
    ]

    /// The underlying reader (for `file` and `header`).
    public let csv: CSVReader
    private let index: [Int]
    private let extraIndex: [(name: String, index: Int)]

    /// Opens `path` and checks its header; `extraColumns` are further required columns (e.g. a delta's
    /// `change`), handed out in `CanonicalPerson.extras`.
    /// - Throws: `InputError` when the file is unusable or a column of the schema is missing.
    public init(path: String, displayName: String? = nil, extraColumns: [String] = []) throws(InputError) {
        csv = try CSVReader(path: path, displayName: displayName)
        let resolved = try ColumnResolver.resolve(
            (Self.columns + extraColumns).map { ColumnResolver.Wanted(name: $0, headers: [$0], required: true) },
            in: csv
        ).map { $0?.index ?? -1 }
        index = Array(resolved.prefix(Self.columns.count))
        extraIndex = Array(zip(extraColumns, resolved.dropFirst(Self.columns.count))).map { ($0, $1) }
    }

    /// The next person or row rejection; nil at the end of the file.
    public func next() throws(InputError) -> Result<CanonicalPerson, RowRejection>? {
        guard let row = try csv.nextRow() else { return nil }
        if let problem = row.problem {
            return .failure(RowRejection(problem, row: row, reader: csv))
        }
        let id = index[0]
        let given = index[1]
        let family = index[2]
        let birth = index[3]
        let sex = index[4]
        guard let personId = row.string(id) else { return .failure(reject(row, id, .missingRequired)) }
        var birthDate: CivilDate?
        if !row.isEmpty(birth) {
            guard let date = row.date(birth, formats: [.iso]) else {
                return .failure(reject(row, birth, .unparseableDate(accepted: ["YYYY-MM-DD"])))
            }
            birthDate = date
        }
        var sexValue: Sex?
        if !row.isEmpty(sex) {
            if row.equals(sex, caseInsensitive: "F") {
                sexValue = .female
            } else if row.equals(sex, caseInsensitive: "M") {
                sexValue = .male
            } else if row.equals(sex, caseInsensitive: "X") {
                sexValue = .other
            } else {
                return .failure(reject(row, sex, .unknownCode(allowed: ["F", "M", "X", "(empty)"])))
            }
        }
        let ssnDigits = row.string(index[10]).map {
            String($0.unicodeScalars.filter { $0.properties.numericType != nil && $0.isASCII }.map(Character.init))
        }
        let ssn = ssnDigits.flatMap { $0.isEmpty ? nil : $0 }
        let person = PersonIdentity(
            sourcePersonId: personId, givenName: row.string(given), familyName: row.string(family),
            birthDate: birthDate, sex: sexValue, street: row.string(index[5]), city: row.string(index[6]),
            state: row.string(index[7]), postalCode: row.string(index[8]), phone: row.string(index[9]), ssn: ssn,
            ssnLast4: ssn.flatMap { $0.count >= 4 ? String($0.suffix(4)) : nil })
        var extras: [String: String] = [:]
        for (name, column) in extraIndex { extras[name] = row.string(column) }
        return .success(CanonicalPerson(id: personId, person: person, line: row.line, extras: extras))
    }

    /// Reads the whole file into memory.
    public static func readAll(path: String) throws(InputError) -> (
        people: [CanonicalPerson], rejections: [RowRejection]
    ) {
        let reader = try CanonicalPersonReader(path: path)
        var people: [CanonicalPerson] = []
        var rejections: [RowRejection] = []
        while let result = try reader.next() {
            switch result {
            case .success(let person): people.append(person)
            case .failure(let rejection): rejections.append(rejection)
            }
        }
        return (people, rejections)
    }

    private func reject(_ row: CSVRow, _ column: Int, _ reason: RowRejection.Reason) -> RowRejection {
        RowRejection(file: csv.file, line: row.line, column: column, of: csv, reason: reason)
    }
}

extension RowRejection {
    /// The rejection for a row the CSV reader already found unusable.
    init(_ problem: CSVRowProblem, row: CSVRow, reader: any RecordSource) {
        switch problem {
        case .invalidUTF8(let column):
            self.init(file: reader.file, line: row.line, column: column, of: reader, reason: .invalidEncoding)
        case .fieldCount(let expected, let found):
            self.init(file: reader.file, line: row.line, reason: .wrongFieldCount(expected: expected, found: found))
        case .unterminatedQuote:
            self.init(file: reader.file, line: row.line, reason: .unterminatedQuote)
        }
    }

    /// A rejection naming the column at 0-based `index` of `reader` by its configured name, or by its
    /// position when no extractor declared it.
    init(file: String, line: Int, column index: Int, of reader: any RecordSource, reason: Reason) {
        let name = reader.declaredName(ofColumn: index)
        self.init(file: file, line: line, column: name, position: name == nil ? index + 1 : nil, reason: reason)
    }
}

/// Finds the columns an extractor reads in a header; fails the whole file when a required one is missing.
enum ColumnResolver {
    struct Wanted {
        /// The lastmile name, used in messages when the column is missing.
        var name: String
        /// Headers accepted for it, first match wins (a config's rename, then the default and its aliases).
        var headers: [String]
        var required: Bool
    }

    /// A wanted column found in the file: its 0-based index and the configured header it matched.
    struct Found {
        var index: Int
        var header: String
    }

    /// Where each wanted column is (nil when optional and absent). Each one found is declared to the reader
    /// under its configured header, the only name messages use for it.
    /// - Throws: `InputError` `.missingColumns` listing every missing required column, or `.duplicateColumn`.
    static func resolve(_ wanted: [Wanted], in reader: any RecordSource) throws(InputError) -> [Found?] {
        var result: [Found?] = []
        var missing: [String] = []
        for want in wanted {
            var found: Found?
            for header in want.headers {
                let positions = reader.columnIndices(named: header)
                if positions.count > 1 {
                    throw InputError(file: reader.file, problem: .duplicateColumn(name: header, positions: positions))
                }
                if let first = positions.first {
                    found = Found(index: first, header: header)
                    break
                }
            }
            if found == nil && want.required { missing.append(want.headers[0]) }
            result.append(found)
        }
        guard missing.isEmpty else {
            // The first line may be data: only configured names and its shape go into the message.
            var shape = reader.headerShape
            let read = Set(result.compactMap { $0?.index })
            shape.unreadPositions = reader.header.indices.filter { !read.contains($0) && !reader.header[$0].isEmpty }
                .map { $0 + 1 }
            throw InputError(
                file: reader.file,
                problem: .missingColumns(missing: missing, present: result.compactMap { $0?.header }, firstLine: shape))
        }
        for found in result.compactMap({ $0 }) { reader.declare(column: found.index, as: found.header) }
        return result
    }
}
