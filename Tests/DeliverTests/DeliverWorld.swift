// A small synthetic world for the delivery tests: two practices, a handful of made-up patients, their flags
// and consent directives, inserted straight into a fresh warehouse. No real people.
import Consent
import Delivery
import Flags
import Foundation
import LastMileCore
import Logging
import Pipeline
import Store
import TestSupport
import Warehouse

func day(_ s: String) -> CivilDate { CivilDate(iso: s)! }

/// Monday of the sample week and the day the report is made (consent is checked on it).
let week1 = day("2026-11-23")
let reportDay = day("2026-11-23")
/// The clock the lists and exports of the tests are made by: 09:00 UTC on the report day.
let reportClock = Clock.fixed(on: reportDay, hour: 9)

/// A trimmed copy of pipelines/consent-policy.yaml (opt-out HIE; school, shelter, jail and housing agreements).
/// The jail agreement does not list pediatrics, so a release flag never reaches a pediatric practice.
let testPolicyYAML = """
    version: 1
    model: opt-out
    agreements:
      - id: riverside-usd-dsa-2026
        source: riverside-usd
        category: education
        legal_basis: FERPA-99.30
        purposes: [TREAT, CAREMGT, COC]
        recipient_roles: [pediatrics, primary-care]
        fields:
          person: [source_person_id, given_name, family_name, birth_date, sex]
          event: [school_id, date, status, minutes_absent]
        effective: 2026-07-01
        expires: 2027-06-30
      - id: coc-hmis-roi-2026
        source: coc-hmis
        category: shelter
        legal_basis: HMIS-ROI
        purposes: [TREAT, CAREMGT, COC]
        recipient_roles: [primary-care, pediatrics, care-coordination]
        fields:
          person: [source_person_id, given_name, family_name, birth_date, sex]
          event: [enrollment_id, project_id, project_type, entry_date, exit_date, move_in_date, exit_destination, date]
        effective: 2026-01-01
        expires: 2026-12-31
      - id: county-jail-mou-2026
        source: county-jail
        category: justice
        legal_basis: sheriff-MOU
        purposes: [TREAT, COC]
        recipient_roles: [primary-care, care-coordination]
        fields:
          person: [source_person_id, given_name, family_name, birth_date, sex]
          event: [booking_number, booked_at, released_at]
        effective: 2026-03-01
        expires: 2027-02-28
      - id: ce-by-name-list-dsa-2026
        source: ce-by-name-list
        category: housing
        legal_basis: CE-ROI
        purposes: [TREAT, CAREMGT, COC]
        recipient_roles: [primary-care, pediatrics, care-coordination]
        fields:
          person: [source_person_id, given_name, family_name, birth_date, sex]
          event: [record_id, record_type, status, status_date]
        effective: 2026-01-01
        expires: 2027-12-31
    restrictions:
      - {label: victim-service-provider, basis: VAWA}
      - {label: currently-fleeing, basis: VAWA}
      - {label: juvenile, basis: state law}
      - {label: sealed, basis: order}
      - {label: ferpa-basis-missing, basis: FERPA}
    minors:
      age_of_majority: 18
      parental_authority_ends_at_majority: [education]
      adolescent_protected_categories: [shelter, justice]
      parent_facing_roles: [parent-portal]
      justice_minimum_age: 18
    guardians:
      accepted_grantor_roles: [self, parent, guardian, court]
      court_orders_final: true
    """

/// A made-up patient of the test world.
struct TestPatient {
    var id: String
    var given: String
    var family: String
    var birth: String
    var practice: String
    var practicePatientId: String?
}

/// The patients; every name and date is invented and distinctive, so a log line containing one is easy to find.
let patients: [TestPatient] = [
    TestPatient(
        id: "P900001", given: "Zephyrine", family: "Quillfeather", birth: "2015-03-02", practice: "riverside-peds",
        practicePatientId: "RS-1001"),
    TestPatient(
        id: "P900002", given: "Bartholo", family: "Ondrejka", birth: "2013-07-19", practice: "riverside-peds",
        practicePatientId: "RS-1002"),
    TestPatient(
        id: "P900003", given: "Caradoc", family: "Vellacott", birth: "2014-01-05", practice: "lakeside-peds",
        practicePatientId: "LK-77"),
    TestPatient(
        id: "P900004", given: "Dymphna", family: "Harrowgate", birth: "2016-09-30", practice: "riverside-peds",
        practicePatientId: nil),
    TestPatient(
        id: "P900005", given: "Euphemon", family: "Strickwold", birth: "2012-12-12", practice: "riverside-peds",
        practicePatientId: "RS-1005"),
    TestPatient(
        id: "P900006", given: "Fenwicka", family: "Brambledown", birth: "2014-04-04", practice: "riverside-peds",
        practicePatientId: "RS-1006"),
    TestPatient(
        id: "P900007", given: "Gwendolyx", family: "Tarrowmere", birth: "2015-06-15", practice: "riverside-peds",
        practicePatientId: "RS-1007"),
]

/// Opens the fresh database, migrates it and loads the test world.
func loadWorld(_ url: String) throws -> Connection {
    let db = try Connection(url)
    try Migrator().migrate(db, logger: Logger(label: "test-migrate", factory: { _ in SwiftLogNoOpLogHandler() }))
    try db.execute(
        """
        INSERT INTO lastmile.run (pipeline, as_of, status, started_at, finished_at)
        VALUES ('nightly', '2026-11-20', 'succeeded', '2026-11-21T02:00:00Z', '2026-11-21T02:01:00Z')
        """)  // stamped by the test, not by the server's clock (docs/architecture.md, "Time")
    for (id, name) in [("riverside-peds", "Riverside Pediatrics"), ("lakeside-peds", "Lakeside Pediatrics")] {
        try db.execute("INSERT INTO lastmile.practice (practice_id, name) VALUES ($1, $2)", [id, name])
    }
    for p in patients {
        try db.execute(
            """
            INSERT INTO lastmile.patient (patient_id, given_name, family_name, birth_date, sex, demographics_hash)
            VALUES ($1, $2, $3, $4::date, 'F', md5($1))
            """, [p.id, p.given, p.family, p.birth])
        try db.execute(
            "INSERT INTO lastmile.attribution (patient_id, practice_id, practice_patient_id) VALUES ($1, $2, $3)",
            [p.id, p.practice, p.practicePatientId])
    }
    // The district's attendance runs through Friday 2026-11-20: fresh for a list made on Monday 2026-11-23.
    try db.execute("SELECT lastmile.ensure_school_year_partition('attendance_day', 2026)")
    try db.execute(
        """
        INSERT INTO lastmile.attendance_day (source, student_id, attendance_date, patient_id, school_id, status, run_id)
        SELECT 'riverside-usd', 'S-1', d::date, 'P900001', 'RUSD-104', 'present', max(run_id)
        FROM lastmile.run, (VALUES ('2026-11-19'), ('2026-11-20')) AS days(d) GROUP BY d
        """)
    // P900001: severe and getting worse, in a shelter. P900002: newly moderate. P900003: lakeside's patient.
    // P900004: moderate (opts out later). P900005: moderate, recently released (not for pediatrics).
    // P900006: absenteeism flag closed. P900007: at risk, housing flag denied by a directive.
    try insertAbsenteeism(db, "P900001", tier: .severe, absent: "15", enrolled: 60, rate: "0.2500", previous: "0.2200")
    try insertFlag(
        db, "P900001", .shelteredHomelessness, source: "coc-hmis", evidence: ["stays": "1", "bed_nights": "30"])
    try insertAbsenteeism(db, "P900002", tier: .moderate, absent: "7", enrolled: 60, rate: "0.1167", previous: "0.0800")
    try insertAbsenteeism(db, "P900003", tier: .severe, absent: "20", enrolled: 60, rate: "0.3333", previous: "0.3000")
    try insertAbsenteeism(db, "P900004", tier: .moderate, absent: "9", enrolled: 60, rate: "0.1500", previous: "0.1500")
    try insertAbsenteeism(db, "P900005", tier: .moderate, absent: "8", enrolled: 60, rate: "0.1333", previous: "0.1400")
    try insertFlag(db, "P900005", .recentRelease, source: "county-jail", evidence: ["released_on": "2026-11-10"])
    try insertAbsenteeism(
        db, "P900006", tier: .moderate, absent: "8", enrolled: 60, rate: "0.1333", previous: "0.1300", status: .inactive
    )
    try insertAbsenteeism(db, "P900007", tier: .atRisk, absent: "4", enrolled: 60, rate: "0.0667", previous: "0.0600")
    try insertFlag(db, "P900007", .housingInstability, source: "ce-by-name-list", evidence: ["basis": "by-name-list"])
    try ConsentStore(connection: db).save(
        [try directive("D-7", patient: "P900007", type: "deny", category: "housing", recorded: "2026-10-01")],
        format: "csv")
    return db
}

func insertAbsenteeism(
    _ db: Connection, _ patient: String, tier: AbsenteeismTier, absent: String, enrolled: Int, rate: String,
    previous: String, status: FlagStatus = .active
) throws {
    try insertFlag(
        db, patient, .chronicAbsenteeism, source: "riverside-usd", tier: tier.rawValue, status: status,
        evidence: [
            FlagEvidenceKey.daysAbsent: absent, FlagEvidenceKey.daysEnrolled: "\(enrolled)", FlagEvidenceKey.rate: rate,
            FlagEvidenceKey.previousRate: previous, FlagEvidenceKey.lastAbsence: "2026-11-19",
            FlagEvidenceKey.schoolId: "RHS-01", FlagEvidenceKey.schoolName: "Riverside Elementary",
            FlagEvidenceKey.grade: "04", FlagEvidenceKey.schoolYearStart: "2026-08-17",
        ])
}

func insertFlag(
    _ db: Connection, _ patient: String, _ kind: FlagKind, source: String, tier: String = "",
    status: FlagStatus = .active, evidence: [String: String]
) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let codes = String(decoding: try encoder.encode(FlagCodes.codes(for: kind, tier: tier)), as: UTF8.self)
    let ev = String(decoding: try encoder.encode(evidence), as: UTF8.self)
    try db.execute(
        """
        INSERT INTO lastmile.flag (patient_id, kind, source, tier, status, period_start, period_end, codes, evidence,
            created_run, updated_run)
        VALUES ($1, $2, $3, $4, $5, '2026-10-01', $6::date, $7::jsonb, $8::jsonb, 1, 1)
        """,
        [patient, kind.rawValue, source, tier, status.rawValue, status == .inactive ? "2026-11-15" : nil, codes, ev])
}

/// A directive in the registry's CSV shape (one root provision).
func directive(
    _ id: String, patient: String, type: String, category: String = "", recipient: String = "",
    recorded: String, start: String? = nil
) throws -> ConsentDirective {
    try ConsentDirective(
        csvRow: [
            "directive_id": id, "patient_id": patient, "type": type, "category": category, "source": "",
            "purpose": "", "recipient": recipient, "period_start": start ?? recorded, "period_end": "",
            "recorded_at": recorded, "status": "active", "grantor_role": "parent",
        ], location: "test")
}

func testGate() throws -> ConsentGate {
    ConsentGate(policy: try ConsentPolicy(yaml: testPolicyYAML, file: "test-policy.yaml"))
}

/// A pipeline config writing into `outbox`, with an optional delivery command.
func testConfig(outbox: URL, delivery: DeliveryCommand? = nil) -> DeliveryPipelineConfig {
    DeliveryPipelineConfig(
        consentPolicy: URL(fileURLWithPath: "/nonexistent"),
        templates: repositoryRoot.appendingPathComponent("pipelines/templates"),
        outbox: outbox, delivery: delivery)
}

/// The package root, found from this file's path (templates are read from pipelines/templates).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A log handler that keeps every line in memory, as JSON (message and metadata), for the privacy tests.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return storage
    }

    func logger() -> Logger {
        Logger(label: "test") { label in
            var handler = JSONLinesLogHandler(label: label) { [self] line in
                lock.lock()
                storage.append(line)
                lock.unlock()
            }
            handler.logLevel = .trace
            return handler
        }
    }
}

/// The CSV's data rows (after the header): RFC 4180 fields, quotes undone.
func csvRows(_ url: URL) throws -> [[String]] {
    var text = try String(contentsOf: url, encoding: .utf8)
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var chars = Array(text)[...]
    while let c = chars.popFirst() {
        if quoted {
            if c == "\"" {
                if chars.first == "\"" {
                    field.append("\"")
                    chars.removeFirst()
                } else {
                    quoted = false
                }
            } else {
                field.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            row.append(field)
            field = ""
        } else if c == "\r\n" || c == "\n" {
            row.append(field)
            rows.append(row)
            row = []
            field = ""
        } else {
            field.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty { rows.append(row + [field]) }
    return Array(rows.dropFirst())
}
