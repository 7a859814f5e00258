// A small synthetic population for training and linking tests: households sharing family name, address and
// phone; twins; juniors; incoming copies with known corruption rates; and incoming people not in the MPI,
// some of them siblings of patients. Deterministic for a seed. All names are invented combinations.
import LastMileCore

@testable import Matching

struct SyntheticWorld {
    var mpi: [PersonIdentity] = []
    var mpiIds: [String] = []
    var incoming: [PersonIdentity] = []
    /// incoming position → MPI position, for incoming people who are patients.
    var truth: [Int: Int] = [:]
    /// Incoming positions of people not in the MPI whose sibling is.
    var siblingsNotInMPI: [Int] = []

    static let givenNames = [
        "OLIVIA", "EMMA", "AVA", "SOPHIA", "ISABELLA", "MIA", "AMELIA", "HARPER", "EVELYN", "ABIGAIL", "EMILY",
        "ELLA", "CHLOE", "VICTORIA", "GRACE", "ZOE", "NORA", "LILY", "HANNAH", "LAYLA", "LIAM", "NOAH",
        "WILLIAM", "JAMES", "OLIVER", "BENJAMIN", "ELIJAH", "LUCAS", "MASON", "LOGAN", "ALEXANDER", "ETHAN",
        "JACOB", "MICHAEL", "DANIEL", "HENRY", "JACKSON", "SEBASTIAN", "AIDEN", "MATTHEW", "SAMUEL", "DAVID",
        "JOSEPH", "CARTER", "OWEN", "WYATT", "JOHN", "JACK", "LUKE", "JAYDEN", "DYLAN", "GRAYSON", "LEVI",
        "ISAAC", "GABRIEL", "JULIAN", "MATEO", "ANTHONY", "JAXON", "LINCOLN", "JOSHUA", "CHRISTOPHER",
        "ANDREW", "THEODORE", "CALEB", "RYAN", "ASHER", "NATHAN", "THOMAS", "LEO", "ISAIAH", "CHARLES",
        "JOSIAH", "HUDSON", "CHRISTIAN", "HUNTER", "CONNOR", "ELI", "EZRA", "AARON", "LANDON", "ADRIAN",
    ]
    static let familyNames = [
        "OKONKWO", "LINDQVIST", "BRANDT", "FAIRWEATHER", "MORROW", "QUINTERO", "HALVORSEN", "ABERNATHY",
        "PRZYBYLSKI", "NAKAMURA", "DELACROIX", "ESPINOZA", "WHITAKER", "CALLOWAY", "RUSSO", "KOWALCZYK",
        "MBEKI", "TANAKA", "OYELARAN", "BJORKLUND", "CASTELLANOS", "DRUMMOND", "ELLSWORTH", "FONSECA",
        "GALLAGHER", "HOLLOWAY", "IVANOV", "JANSSEN", "KRISTIANSEN", "LOMBARDI", "MCALLISTER", "NORDSTROM",
        "OSTROWSKI", "PEMBERTON", "QUAYLE", "ROSENTHAL", "STRICKLAND", "THORNBURY", "UNDERWOOD", "VANTERPOOL",
        "WAINWRIGHT", "YAMAMOTO", "ZIELINSKI", "ACHEBE", "BALLANTYNE", "CHATTERJEE", "DUNMORE", "EKWUEME",
        "GARCIA", "SMITH", "JOHNSON", "NGUYEN", "BROWN", "LOPEZ",
    ]
    static let streets = ["OAK ST", "MAPLE AVE", "CEDAR LN", "PINE RD", "ELM CT", "BIRCH DR", "WALNUT PL", "ASPEN WAY"]

    init(
        households: Int, seed: UInt64, givenCorruption: Double = 0.1, birthCorruption: Double = 0.1,
        ssnShare: Double = 0.5
    ) {
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ a: [T]) -> T { a[Int(rng.next() % UInt64(a.count))] }
        func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) / 1_000_000 < p }
        func date(_ yearLo: Int, _ yearHi: Int) -> CivilDate {
            CivilDate(
                year: yearLo + Int(rng.next() % UInt64(yearHi - yearLo + 1)), month: 1 + Int(rng.next() % 12),
                day: 1 + Int(rng.next() % 28))!
        }
        var people: [(PersonIdentity, household: Int)] = []
        for h in 0..<households {
            let family = pick(Self.familyNames)
            let street = "\(1 + rng.next() % 9000) \(pick(Self.streets))"
            let phone = "\(200 + rng.next() % 700)\(200 + rng.next() % 700)\(1000 + rng.next() % 9000)"
            let postal = "\(94100 + rng.next() % 40)"
            func member(_ given: String, _ birth: CivilDate, _ sex: Sex, suffix: String? = nil) -> PersonIdentity {
                PersonIdentity(
                    givenName: given, familyName: family, suffix: suffix, birthDate: birth, sex: sex, street: street,
                    city: "RIVERSIDE", state: "CA", postalCode: postal, phone: phone,
                    ssn: chance(ssnShare)
                        ? String(100 + Int(rng.next() % 600)) + "\(10 + rng.next() % 89)\(1000 + rng.next() % 8999)"
                        : nil)
            }
            let parentName = pick(Self.givenNames)
            people.append((member(parentName, date(1965, 1992), chance(0.5) ? .female : .male), h))
            let children = Int(rng.next() % 4)
            for c in 0..<children {
                let birth = date(2008, 2022)
                let child = member(
                    c == 0 && chance(0.2) ? parentName : pick(Self.givenNames), birth, chance(0.5) ? .female : .male)
                people.append((child, h))
                if chance(0.1) {  // a twin
                    people.append((member(pick(Self.givenNames), birth, chance(0.5) ? .female : .male), h))
                }
            }
        }
        // Most people are patients; a household keeps at least one patient, so non-patients often have a sibling there.
        var inMPI = [Bool](repeating: false, count: people.count)
        var mpiPosition = [Int](repeating: -1, count: people.count)
        var householdHasPatient = Set<Int>()
        for (k, p) in people.enumerated() where chance(0.7) || !householdHasPatient.contains(p.household) {
            inMPI[k] = true
            householdHasPatient.insert(p.household)
            mpiPosition[k] = mpi.count
            mpi.append(p.0)
            mpiIds.append("P\(100_000 + mpi.count)")
        }
        for (k, p) in people.enumerated() where chance(0.5) {
            var q = p.0
            if chance(givenCorruption) { q.givenName = Self.typo(q.givenName!, &rng) }
            if chance(0.03) { q.familyName = Self.typo(q.familyName!, &rng) }
            if chance(birthCorruption), let d = q.birthDate {
                q.birthDate =
                    d.day <= 12 && chance(0.5)
                    ? CivilDate(year: d.year, month: d.day, day: d.month)
                    : CivilDate(year: d.year + 1, month: d.month, day: d.day)
            }
            if chance(0.2) {
                q.street = "\(1 + rng.next() % 9000) \(pick(Self.streets))"
                q.phone = nil
            }
            if inMPI[k] {
                truth[incoming.count] = mpiPosition[k]
            } else if householdHasPatient.contains(p.household) {
                siblingsNotInMPI.append(incoming.count)
            }
            incoming.append(q)
        }
    }

    /// One substitution of an inner letter.
    static func typo(_ s: String, _ rng: inout SplitMix64) -> String {
        var b = Array(s.utf8)
        guard b.count > 2 else { return s }
        let k = 1 + Int(rng.next() % UInt64(b.count - 1))
        b[k] = 65 + UInt8(rng.next() % 26)
        return String(decoding: b, as: UTF8.self)
    }
}
