// lastmile-bench-flags: flag derivation and report/export serialisation throughput, each as a ratio against
// a reference measured in the same process. Run with `swift run -c release lastmile-bench-flags [patients]`.
// Figures go in docs/benchmarks/flags.md.
import Flags
import Foundation
import LastMileCore
import Reports

/// SplitMix64: deterministic synthetic data without Foundation's random sources.
struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func median(_ runs: Int, _ body: () -> Void) -> Double {
    let times = (0..<runs).map { _ in seconds(body) }.sorted()
    return times[times.count / 2]
}

let patientCount = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 12_000 : 12_000
let asOf = CivilDate(iso: "2026-11-20")!
let yearStart = CivilDate(iso: "2026-08-17")!
let schoolDays = (0...yearStart.days(until: asOf)).map { yearStart.adding(days: $0) }.filter { $0.isoWeekday <= 5 }

// Every patient has a school year of attendance; some also shelter, jail and housing events.
var rng = Rng(state: 42)
var patients: [PatientEvents] = []
var eventCount = 0
for p in 0..<patientCount {
    var e = PatientEvents(patientId: "P\(p)")
    let absentShare = [2, 4, 7, 12, 25][rng.below(5)]
    for d in schoolDays {
        let status: AttendanceStatus = rng.below(100) < absentShare ? .absentUnexcused : .present
        e.append(
            .attendance(AttendanceDay(schoolId: "S\(p % 40)", grade: "05", date: d, status: status)), from: "district")
    }
    if rng.below(10) == 0 {
        e.append(
            .shelterStay(
                ShelterStay(
                    enrollmentId: "E\(p)", projectId: "PR", projectType: 1, entryDate: CivilDate(iso: "2026-09-01")!)),
            from: "coc")
        for n in 0..<20 {
            e.append(
                .bedNight(
                    BedNight(
                        enrollmentId: "E\(p)", projectType: 1,
                        date: CivilDate(iso: "2026-09-01")!.adding(days: n * 3))),
                from: "coc")
        }
    }
    if rng.below(20) == 0 {
        let booked = CivilDateTime(date: CivilDate(iso: "2026-10-01")!.adding(days: rng.below(40)))
        let released = rng.below(2) == 0 ? CivilDateTime(date: booked.date.adding(days: 3)) : nil
        e.append(.booking(Booking(bookingNumber: "B\(p)", bookedAt: booked, releasedAt: released)), from: "jail")
    }
    if rng.below(15) == 0 {
        e.append(
            .housingStatus(
                HousingStatusEvent(
                    recordId: "R\(p)", recordType: .byNameList, status: .active,
                    statusDate: CivilDate(iso: "2026-07-01")!)), from: "bnl")
    }
    eventCount += e.attendance.count + e.shelterStays.count + e.bedNights.count + e.bookings.count + e.housing.count
    patients.append(e)
}

let deriver = FlagDeriver()
var flags: [Flag] = []
// Reference: one pass that sorts each patient's attendance by date and counts absences — the least any
// derivation must do.
var checksum = 0
let reference = median(5) {
    for p in patients {
        let sorted = p.attendance.sorted { $0.event.date < $1.event.date }
        checksum &+= sorted.reduce(0) { $0 + ($1.event.status == .present ? 0 : 1) }
    }
}
let derive = median(5) {
    flags = []
    for p in patients { flags += deriver.flags(for: p, asOf: asOf) }
}

// Serialisation: our ordered JSON writer against JSONEncoder on an equivalent Codable shape.
struct CodableFlag: Codable {
    struct Coding: Codable {
        var system: String
        var code: String
        var display: String
    }
    struct CodeableConcept: Codable {
        var coding: [Coding]
        var text: String?
    }
    struct Reference: Codable { var reference: String }
    struct Period: Codable {
        var start: String
        var end: String?
    }
    struct Meta: Codable {
        var security: [Coding]
        var tag: [Coding]
    }
    var resourceType = "Flag"
    var id: String
    var meta: Meta
    var status: String
    var category: [CodeableConcept]
    var code: CodeableConcept
    var subject: Reference
    var period: Period
}
let exporter = FHIRExport()
let codable = flags.map { f in
    CodableFlag(
        id: FHIRExport.flagId(f),
        meta: .init(
            security: FHIRExport.securityLabels(f.kind).map { .init(system: $0.system, code: $0.code, display: "") },
            tag: [.init(system: FHIRExport.sourceTagSystem, code: f.source, display: "")]),
        status: f.status.rawValue,
        category: [
            .init(coding: [.init(system: FHIRExport.usCoreCategorySystem, code: "sdoh", display: "")], text: nil)
        ],
        code: .init(
            coding: f.codes.map { .init(system: $0.system, code: $0.code, display: $0.display) },
            text: f.kind.rawValue),
        subject: .init(reference: "Patient/\(f.patientId)"),
        period: .init(start: f.periodStart.description, end: f.periodEnd?.description))
}
var bytes = 0
let encoder = JSONEncoder()
let jsonReference = median(5) {
    bytes = 0
    for c in codable { bytes += (try? encoder.encode(c).count) ?? 0 }
}
let ndjson = median(5) { bytes = FHIRExport.ndjsonBytes(flags.map { exporter.flagResource($0) }).count }

// A Monday list of 500 rows through the shipped template and the CSV writer.
let template = try HTMLTemplate(
    directory: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../pipelines/templates"),
    name: AbsenteeismList.htmlTemplateName)
let listed = flags.filter { $0.kind == .chronicAbsenteeism && $0.status == .active }.prefix(500).map {
    ListedPatient(
        patientId: $0.patientId, givenName: "Given", familyName: "Family", birthDate: CivilDate(iso: "2015-01-01"),
        absenteeism: $0)
}
let list = AbsenteeismList(practiceId: "bench", practiceName: "Bench", weekOf: asOf, patients: Array(listed))
var out = 0
let render = median(5) { out = ((try? list.html(using: template))?.utf8.count ?? 0) + list.csv().utf8.count }

func f(_ x: Double) -> String { String(format: "%.3f", x) }
print("patients \(patientCount), events \(eventCount), flags \(flags.count) (checksum \(checksum % 10))")
print(
    "derive flags      \(f(derive)) s  \(Int(Double(eventCount) / derive)) events/s  "
        + "ratio to sort-and-count reference \(f(derive / reference)) (reference \(f(reference)) s)"
)
print(
    "Flag NDJSON       \(f(ndjson)) s  \(Int(Double(flags.count) / ndjson)) flags/s  "
        + "ratio to JSONEncoder \(f(ndjson / jsonReference)) (JSONEncoder \(f(jsonReference)) s)"
)
print("500-row list      \(f(render * 1000)) ms for HTML + CSV (\(out) bytes)")
