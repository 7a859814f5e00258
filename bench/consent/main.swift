// lastmile-bench-consent: per-record cost of gate 1 and gate 2, as a ratio against a reference loop.
//
// The reference does the unavoidable work around each gate call — copy the record, look the patient's
// directives up in a dictionary and touch each one — so the ratios show what consent adds on top.
// Usage: swift run -c release lastmile-bench-consent [records] [runs]
import Consent
import Foundation
import LastMileCore

struct Rng: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let args = CommandLine.arguments
let recordCount = args.count > 1 ? Int(args[1]) ?? 200_000 : 200_000
let runs = args.count > 2 ? Int(args[2]) ?? 7 : 7
let date = CivilDate(iso: "2026-11-20")!
let policy = ConsentPolicy(
    model: .optOut,
    agreements: [
        DataSharingAgreement(
            id: "a", source: "riverside-usd", category: .education, legalBasis: "FERPA-99.30", purposes: [.treatment],
            recipientRoles: ["pediatrics"], personFields: [.givenName, .familyName, .birthDate, .sex, .postalCode],
            eventFields: [.schoolId, .date, .status, .minutesAbsent], effective: CivilDate(iso: "2026-07-01")!,
            expires: CivilDate(iso: "2027-06-30")!)
    ])
let gate = ConsentGate(policy: policy)
var rng = Rng(state: 42)
let patients = (0..<50_000).map { "P\($0)" }
// About 10 % of patients hold one to three directives, as in the sample world.
var directives: [ConsentDirective] = []
for (i, p) in patients.enumerated() where Int.random(in: 0..<10, using: &rng) == 0 {
    for j in 0..<Int.random(in: 1...3, using: &rng) {
        directives.append(
            ConsentDirective(
                id: "D\(i)-\(j)", status: .active, patientId: p, recorded: date.adding(days: -j * 30),
                grantorRole: .self,
                provision: Provision(
                    type: j == 0 ? .deny : .permit, categories: j == 1 ? [.education] : [],
                    provisions: j == 2 ? [Provision(type: .deny, actors: [.practice("x")])] : [])))
    }
}
let index = DirectiveIndex(directives)
let records = (0..<recordCount).map { i in
    SourceRecord(
        source: "riverside-usd", recordId: "r\(i)",
        person: PersonIdentity(
            sourcePersonId: "S\(i)", givenName: "G", familyName: "F", birthDate: CivilDate(iso: "2014-01-01"),
            sex: .female, street: "S", city: "C", state: "CA", postalCode: "90000", phone: "5550100"),
        event: .attendance(AttendanceDay(schoolId: "S1", schoolName: "N", grade: "4", date: date, status: .present)),
        provenance: Provenance(file: "f", line: i))
}
let patientOf = records.indices.map { _ in patients.randomElement(using: &rng)! }

func time(_ body: () -> Int) -> (Double, Int) {
    let start = ContinuousClock.now
    let sink = body()
    let elapsed = ContinuousClock.now - start
    return (Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds), sink)
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

var reference: [Double] = []
var gate1: [Double] = []
var gate2: [Double] = []
var delivery: [Double] = []
let recipient = Recipient.pediatricPractice("riverside-peds")
for _ in 0..<runs {
    reference.append(
        time {
            var n = 0
            for (i, r) in records.enumerated() {
                var copy = r
                copy.person.phone = nil
                n &+= copy.recordId.utf8.count &+ index[patientOf[i]].reduce(0) { $0 &+ $1.id.utf8.count }
            }
            return n
        }.0)
    gate1.append(
        time { records.reduce(0) { $0 &+ (gate.admit($1, purpose: .treatment, on: date).admitted == nil ? 0 : 1) } }.0)
    gate2.append(
        time {
            var n = 0
            for (i, r) in records.enumerated() {
                let request = ConsentRequest(
                    patientId: patientOf[i], category: .education, source: r.source, date: date,
                    patientBirthDate: r.person.birthDate)
                n &+= gate.evaluate(request, directives: index[patientOf[i]]).passes ? 1 : 0
            }
            return n
        }.0)
    delivery.append(
        time {
            var n = 0
            for (i, r) in records.enumerated() {
                let request = ConsentRequest(
                    patientId: patientOf[i], category: .education, source: r.source, recipient: recipient, date: date,
                    patientBirthDate: r.person.birthDate)
                n &+= gate.evaluate(request, directives: index[patientOf[i]]).passes ? 1 : 0
            }
            return n
        }.0)
}
let ref = median(reference)
print("records \(recordCount), directives \(directives.count), runs \(runs) (medians)")
print(String(format: "reference  %.4f s  1.00x", ref))
for (name, xs) in [("gate 1", gate1), ("gate 2", gate2), ("delivery", delivery)] {
    let m = median(xs)
    print(
        String(
            format: "%@  %.4f s  %.2fx  %.0f records/s", name.padding(toLength: 9, withPad: " ", startingAt: 0), m,
            m / ref, Double(recordCount) / m))
}
