import LastMileCore

/// A directive that could not be imported: where, which field, what was expected — never the value found.
public struct DirectiveImportError: Error, Sendable, Hashable, CustomStringConvertible, ClassifiedError {
    /// `file:line` for CSV and NDJSON, `file entry[i]` for a Bundle, `file` for a single resource.
    public var location: String
    /// A CSV column name or a JSON path such as `provision.provision[0].period.start`.
    public var path: String
    /// What was expected there (formats, allowed codes), never the value found.
    public var expected: String

    public init(location: String, path: String, expected: String) {
        self.location = location
        self.path = path
        self.expected = expected
    }

    public var exitStatus: ExitStatus { .dataError }
    public var description: String { "\(location): \(path): \(expected)" }
}

/// Directives read from an input, and the entries that could not be used (each skipped, not fatal).
public struct DirectiveImport: Sendable {
    public var directives: [ConsentDirective] = []
    public var problems: [DirectiveImportError] = []
    /// Bundle entries or NDJSON lines holding other resource types, ignored.
    public var ignoredResources = 0

    public init() {}
}

extension ConsentDirective {
    /// The columns of sample-data/consent-directives.csv, in order.
    public static let csvColumns = [
        "directive_id", "patient_id", "type", "category", "source", "purpose", "recipient", "period_start",
        "period_end", "recorded_at", "status", "grantor_role",
    ]

    /// Checks a CSV header: throws naming every missing column (extra columns are allowed).
    public static func validateCSVHeader(_ header: [String], file: String) throws(DirectiveImportError) {
        let missing = csvColumns.filter { !header.contains($0) }
        guard missing.isEmpty else {
            throw DirectiveImportError(
                location: "\(file):1", path: "header",
                expected:
                    "missing column(s) \(missing.joined(separator: ", ")); "
                    + "expected \(csvColumns.joined(separator: ","))"
            )
        }
    }

    /// Builds a directive from one CSV row already split by the caller (column name → value).
    ///
    /// One root provision; empty category, source, purpose or recipient mean "any". `location` (e.g.
    /// `consent-directives.csv:12`) prefixes errors, which name the column and never the value.
    public init(csvRow row: [String: String], location: String) throws(DirectiveImportError) {
        func field(_ name: String) -> String { (row[name] ?? "").trimmingSpaces }
        func fail(_ column: String, _ expected: String) -> DirectiveImportError {
            DirectiveImportError(location: location, path: "column \(column)", expected: expected)
        }
        let id = field("directive_id")
        guard !id.isEmpty else { throw fail("directive_id", "a value is required") }
        let patient = field("patient_id")
        guard !patient.isEmpty else { throw fail("patient_id", "a value is required") }
        guard let type = ProvisionType(rawValue: field("type")) else { throw fail("type", "permit or deny") }
        var categories: Set<DataCategory> = []
        if !field("category").isEmpty {
            guard let c = DataCategory(rawValue: field("category")) else {
                throw fail(
                    "category", "one of \(DataCategory.allCases.map(\.rawValue).joined(separator: ", ")) or empty")
            }
            categories = [c]
        }
        let source = field("source")
        var purposes: Set<PurposeOfUse> = []
        if !field("purpose").isEmpty {
            guard PurposeOfUse.known.contains(field("purpose")) else {
                throw fail("purpose", "a v3 PurposeOfUse code such as TREAT or PUBHLTH, or empty")
            }
            purposes = [PurposeOfUse(rawValue: field("purpose"))]
        }
        var actors: Set<ConsentActor> = []
        if !field("recipient").isEmpty {
            guard let actor = ConsentActor(token: field("recipient")) else {
                throw fail("recipient", "practice:<id>, role:<role> or empty")
            }
            actors = [actor]
        }
        func date(_ column: String) throws(DirectiveImportError) -> CivilDate? {
            let s = field(column)
            if s.isEmpty { return nil }
            guard let d = CivilDate(iso: s) else { throw fail(column, "a date YYYY-MM-DD or empty") }
            return d
        }
        let start = try date("period_start")
        let end = try date("period_end")
        if let start, let end, end < start { throw fail("period_end", "a date on or after period_start") }
        guard let recorded = try date("recorded_at") else { throw fail("recorded_at", "a date YYYY-MM-DD") }
        guard let status = Status(rawValue: field("status")) else {
            throw fail("status", "one of \(Status.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let grantor = GrantorRole(rawValue: field("grantor_role")) else {
            throw fail("grantor_role", "one of \(GrantorRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let period = start == nil && end == nil ? nil : DateRange(start: start, end: end)
        self.init(
            id: id, status: status, patientId: patient, recorded: recorded, grantorRole: grantor,
            provision: Provision(
                type: type, period: period, actors: actors, purposes: purposes, categories: categories,
                sources: source.isEmpty ? [] : [source]))
    }

    /// Imports CSV rows split by the caller, each with the physical line it starts on.
    ///
    /// Bad rows are collected as problems naming file, line and column; the rest are returned.
    public static func importCSV(rows: [(line: Int, fields: [String: String])], file: String) -> DirectiveImport {
        var result = DirectiveImport()
        for row in rows {
            do {
                result.directives.append(try ConsentDirective(csvRow: row.fields, location: "\(file):\(row.line)"))
            } catch {
                result.problems.append(error)
            }
        }
        return result
    }
}
