import Foundation
import LastMileCore

/// Options of a matching benchmark world (see /work/shared/benchmarks/README.md for the files' schema).
public struct BenchmarkOptions: Sendable {
    /// Patients in the MPI.
    public var mpiSize: Int
    /// Incoming records per MPI patient (0.5 → half as many incoming records as patients).
    public var incomingRatio: Double
    /// Share of incoming records whose person is not in the MPI.
    public var notInMPI: Double
    public var seed: UInt64
    public var asOf: CivilDate

    public init(mpiSize: Int, incomingRatio: Double = 0.5, notInMPI: Double = 0.3, seed: UInt64, asOf: CivilDate) {
        self.mpiSize = mpiSize
        self.incomingRatio = incomingRatio
        self.notInMPI = notInMPI
        self.seed = seed
        self.asOf = asOf
    }

    /// Throws `SampleDataError.invalidOption` for sizes or ratios that cannot be produced.
    public func validate() throws {
        guard mpiSize >= 1, mpiSize <= 50_000_000 else {
            throw SampleDataError.invalidOption("--mpi-size must be between 1 and 50000000")
        }
        guard incomingRatio > 0, incomingRatio <= 1.5 else {
            throw SampleDataError.invalidOption("--incoming-ratio must be in (0, 1.5]")
        }
        guard notInMPI >= 0, notInMPI < 1, incomingRatio * (1 - notInMPI) <= 1 else {
            throw SampleDataError.invalidOption(
                "--not-in-mpi must be in [0, 1) with incoming-ratio × (1 − it) ≤ 1")
        }
    }
}

/// What a benchmark world holds, for the CLI summary and tests.
public struct BenchmarkSummary: Sendable, Equatable {
    public var mpiRecords = 0
    public var incomingRecords = 0
    public var incomingNotInMPI = 0
    public var households = 0
}

/// Writes `mpi.csv`, `incoming.csv` and `truth.csv` for the matcher's benchmark, streaming.
///
/// Households are generated one at a time; each member is a patient (in the MPI) or not, and appears in the
/// incoming roster so that it has about `incomingRatio × mpiSize` records of which `notInMPI` are people
/// without an MPI record — most of them siblings, parents, partners, twins or juniors of patients, who share an
/// address, a phone and a family name. MPI and incoming records are copies of the truth
/// with registration errors (`MessProfile.mpi`, `.source`). Output order is mixed through a bounded shuffle
/// buffer and ids are permuted, so neither position nor id betrays a pair. Memory stays flat.
public enum BenchmarkWorld {
    public static let header = [
        "id", "given_name", "family_name", "birth_date", "sex", "street", "city", "state", "postal_code", "phone",
        "ssn",
    ]
    public static let truthHeader = ["incoming_id", "mpi_id"]

    /// Generates the three files into `directory` (created when missing).
    @discardableResult
    public static func generate(_ options: BenchmarkOptions, into directory: String) throws -> BenchmarkSummary {
        try options.validate()
        try makeDirectory(directory)
        let mpi = try CSVOutput(path: directory + "/mpi.csv")
        let incoming = try CSVOutput(path: directory + "/incoming.csv")
        let truth = try CSVOutput(path: directory + "/truth.csv")
        try mpi.write(header)
        try incoming.write(header)
        try truth.write(truthHeader)

        var root = SplitMix64(seed: options.seed)
        var population = PopulationGenerator(seed: root.next(), asOf: options.asOf)
        var rng = root.fork(1)
        var shuffleRNG = root.fork(2)

        // A household is new to the HIE (no patient) with probability `newHousehold`; otherwise each member is a
        // patient with probability `memberQ`. A patient appears in the roster with probability r(1 − f). People
        // without an MPI record are drawn by a running quota (r·f per patient so far), mostly from households
        // that have patients: the siblings, parents and partners who make household-heavy data hard.
        let r = options.incomingRatio
        let f = options.notInMPI
        let newHousehold = f > 0 ? 0.05 : 0
        // Enough people without a record to fill the quota: about 1.5 per incoming outsider.
        let memberQ = f > 0 ? min(0.8, 1 / (1 + 1.5 * r * f)) : 1
        let a = r * (1 - f)
        var quotaCredit = 0.0

        let mpiIds = IdPermutation(prefix: "P", capacity: options.mpiSize)
        let incomingIds = IdPermutation(prefix: "I", capacity: Int(Double(options.mpiSize) * r * 2) + 16)
        var mpiBuffer = ShuffleBuffer<[UInt8]>(capacity: 1 << 14)
        var incomingBuffer = ShuffleBuffer<PendingIncoming>(capacity: 1 << 14)
        var summary = BenchmarkSummary()
        var mpiCount = 0
        var incomingCount = 0
        var line: [UInt8] = []
        line.reserveCapacity(256)

        func emitIncoming(_ pending: PendingIncoming) throws {
            let id = incomingIds.id(incomingCount)
            incomingCount += 1
            var bytes: [UInt8] = Array(id.utf8)
            bytes.append(UInt8(ascii: ","))
            bytes.append(contentsOf: pending.row)
            try incoming.write(encoded: bytes)
            var truthLine: [UInt8] = Array(id.utf8)
            truthLine.append(UInt8(ascii: ","))
            if let mpiId = pending.mpiId { truthLine.append(contentsOf: mpiId.utf8) }
            truthLine.append(UInt8(ascii: "\n"))
            try truth.write(encoded: truthLine)
        }

        while mpiCount < options.mpiSize {
            let household = population.nextHousehold()
            summary.households += 1
            let householdIsNew = rng.chance(newHousehold)
            var isPatient: [Bool] = []
            for _ in household.members {
                isPatient.append(
                    mpiCount + isPatient.count(where: { $0 }) < options.mpiSize && !householdIsNew
                        && rng.chance(memberQ))
            }
            let hasPatients = isPatient.contains(true)
            for (person, patient) in zip(household.members, isPatient) {
                var mpiId: String?
                if patient {
                    let id = mpiIds.id(mpiCount)
                    mpiCount += 1
                    mpiId = id
                    quotaCredit += r * f
                    let recorded = Messiness.record(
                        of: person, address: household.address, phone: person.ownPhone ?? household.phone,
                        profile: .mpi, rng: &rng)
                    line.removeAll(keepingCapacity: true)
                    encode(id: id, recorded, style: rng.below(6), into: &line)
                    if let out = mpiBuffer.insert(line, rng: &shuffleRNG) { try mpi.write(encoded: out) }
                }
                let include: Bool
                if patient {
                    include = rng.chance(a)
                } else if hasPatients {
                    include = quotaCredit > 0 && rng.chance(0.85)
                } else {
                    include = quotaCredit > 1 && rng.chance(0.5)
                }
                guard include else { continue }
                if !patient { quotaCredit -= 1 }
                let phone =
                    person.ownPhone.map { rng.chance(0.8) ? $0 : household.currentPhone ?? $0 }
                    ?? household.currentPhone
                let recorded = Messiness.record(
                    of: person, address: household.currentAddress, phone: phone, profile: .source, rng: &rng)
                line.removeAll(keepingCapacity: true)
                encode(id: nil, recorded, style: rng.below(6), into: &line)
                if mpiId == nil { summary.incomingNotInMPI += 1 }
                if let out = incomingBuffer.insert(PendingIncoming(row: line, mpiId: mpiId), rng: &shuffleRNG) {
                    try emitIncoming(out)
                }
            }
        }
        for out in mpiBuffer.drain(rng: &shuffleRNG) { try mpi.write(encoded: out) }
        for out in incomingBuffer.drain(rng: &shuffleRNG) { try emitIncoming(out) }
        try mpi.close()
        try incoming.close()
        try truth.close()
        summary.mpiRecords = mpiCount
        summary.incomingRecords = incomingCount
        return summary
    }

    /// Encodes one canonical row (`id` first when given) with a formatting style for phone and SSN.
    static func encode(id: String?, _ p: RecordedPerson, style: Int, into out: inout [UInt8]) {
        if let id {
            out.append(contentsOf: id.utf8)
            out.append(UInt8(ascii: ","))
        }
        let fields = [
            p.givenName, p.familyName, p.birthDateText, p.sexText, p.street, p.city, p.state, p.postalCode,
            Messiness.formatPhone(p.phone, style: style), Messiness.formatSSN(p.ssn, dashed: style % 2 == 0),
        ]
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            CSVOutput.append(field, into: &out)
        }
        out.append(UInt8(ascii: "\n"))
    }

    struct PendingIncoming {
        var row: [UInt8]
        var mpiId: String?
    }
}

/// Creates `path` and its parents; throws `SampleDataError.cannotWrite` when it can't.
func makeDirectory(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw SampleDataError.cannotWrite(path: path)
    }
}

/// Distinct ids that don't follow creation order: `prefix` + a fixed-width number, by an affine bijection.
struct IdPermutation {
    let prefix: String
    let width: Int
    let modulus: Int

    init(prefix: String, capacity: Int, minimumWidth: Int = 6) {
        self.prefix = prefix
        var width = minimumWidth
        var modulus = 1
        for _ in 0..<width { modulus *= 10 }
        while modulus < capacity {
            modulus *= 10
            width += 1
        }
        self.width = width
        self.modulus = modulus
    }

    /// The id of the `index`-th item; distinct for every index below the capacity.
    func id(_ index: Int) -> String {
        // 7_368_787 is coprime with every power of ten, so this is a bijection of 0..<modulus.
        let number = (index % modulus * (7_368_787 % modulus) + 1_234_567) % modulus
        return prefix + String(number).leftPadded(to: width)
    }
}

/// A bounded buffer that releases a random held item for each new one: a local shuffle in flat memory.
struct ShuffleBuffer<Element> {
    private var items: [Element] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    /// Holds `item`; once full, returns a random earlier item in its place.
    mutating func insert(_ item: Element, rng: inout SplitMix64) -> Element? {
        if items.count < capacity {
            items.append(item)
            return nil
        }
        let index = rng.below(capacity)
        let out = items[index]
        items[index] = item
        return out
    }

    /// Everything still held, in random order.
    mutating func drain(rng: inout SplitMix64) -> [Element] {
        rng.shuffle(&items)
        defer { items.removeAll() }
        return items
    }
}
