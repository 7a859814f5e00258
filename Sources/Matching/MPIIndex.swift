import Foundation
import LastMileCore

/// One active patient as the MPI index takes it in: the HIE patient id, the demographics (nil when the patient
/// is no longer active) and the warehouse's hash of the patient row, which tells a changed patient.
public struct MPIIndexRow: Sendable {
    public var patientId: String
    public var person: PersonIdentity?
    public var rowHash: Int64

    public init(patientId: String, person: PersonIdentity?, rowHash: Int64) {
        self.patientId = patientId
        self.person = person
        self.rowHash = rowHash
    }
}

/// The encoded, blocked MPI the matcher reads: built once, kept between nights (`MPIIndexFile`) and updated
/// from the patients that changed, so a night whose MPI did not change neither loads nor encodes it.
///
/// Positions are in the UTF-8 byte order of the patient ids, whatever way the index was made (built, read back
/// or updated), so the matcher's tie-breaks, hence its decisions, are the same either way.
public final class MPIIndex {
    /// Patient ids by position.
    public private(set) var ids: [String]
    /// Per position, the warehouse's hash of the patient row.
    private(set) var rowHashes: [Int64]
    /// Per position, the stored birth date as YYYYMMDD; 0 when missing.
    private(set) var birthDates: [Int32]
    public private(set) var people: EncodedPeople
    /// The strings of `people`; given away to the night's matching by `takeLexicon`.
    var lexicon: LexiconBuilder
    public private(set) var blocking: BlockingIndex
    /// The latest change time of the patient table the index has seen (text, as the warehouse gave it).
    public var changedUpTo: String?

    init(
        ids: [String], rowHashes: [Int64], birthDates: [Int32], people: EncodedPeople, lexicon: LexiconBuilder,
        blocking: BlockingIndex?, changedUpTo: String?
    ) {
        self.ids = ids
        self.rowHashes = rowHashes
        self.birthDates = birthDates
        self.people = people
        self.lexicon = lexicon
        self.blocking =
            blocking ?? BlockingIndex(mpi: people, lexicon: lexicon.freeze(), maxBlockSize: Self.maxBlockSize)
        self.changedUpTo = changedUpTo
    }

    /// The largest block the index's linker uses (`Linker`'s default).
    public static let maxBlockSize = 5000

    /// Number of patients.
    public var count: Int { ids.count }

    /// The sum of the row hashes (exact, in decimal): equal to the warehouse's for the same active patients.
    public var digest: String { String(rowHashes.reduce(Int128(0)) { $0 + Int128($1) }) }

    /// The position of a patient id; nil when not an active patient.
    public func position(of patientId: String) -> Int? {
        var lo = 0
        var hi = ids.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if Self.precedes(ids[mid], patientId) { lo = mid + 1 } else { hi = mid }
        }
        // Byte equality (not Swift's canonical equivalence), as in the warehouse's `text` keys.
        return lo < ids.count && !Self.precedes(patientId, ids[lo]) ? lo : nil
    }

    /// The stored birth date of a patient.
    public func birthDate(of patientId: String) -> CivilDate? {
        guard let i = position(of: patientId), birthDates[i] != 0 else { return nil }
        let d = Int(birthDates[i])
        return CivilDate(year: d / 10_000, month: d / 100 % 100, day: d % 100)
    }

    /// Hands the lexicon to the night's matching (which adds the incoming people's strings to it without
    /// copying); the index keeps an empty one and can no longer be updated or written.
    public func takeLexicon() -> LexiconBuilder {
        let taken = lexicon
        lexicon = LexiconBuilder()
        return taken
    }

    /// Frees the codes and blocks once the night has matched; ids and birth dates stay.
    public func dropMatchingData() {
        people = EncodedPeople(records: [])
        blocking = BlockingIndex(
            rules: blocking.rules, maxBlockSize: blocking.maxBlockSize, keys: blocking.rules.map { _ in [] },
            members: blocking.rules.map { _ in [] })
        lexicon = LexiconBuilder()
    }

    /// UTF-8 byte order (PostgreSQL's `COLLATE "C"`), compared with `memcmp`: the crosswalk and gate 2 look up
    /// a patient for each person and record of the night.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                var c: Int32 = 0
                if n > 0, let x = pa.baseAddress, let y = pb.baseAddress { c = memcmp(x, y, n) }
                return c != 0 ? c < 0 : pa.count < pb.count
            }
        }
    }

    static func packed(_ d: CivilDate?) -> Int32 { d.map { Int32($0.year * 10_000 + $0.month * 100 + $0.day) } ?? 0 }
}

/// Builds an `MPIIndex` from the active patients, handed over in batches (normalised on all cores, one batch
/// of strings in memory at a time).
public struct MPIIndexBuilder {
    var ids: [String] = []
    var rowHashes: [Int64] = []
    var birthDates: [Int32] = []
    var records: [PersonCode] = []
    var lexicon = LexiconBuilder()

    public init(expectedCount: Int = 0) {
        ids.reserveCapacity(expectedCount)
        rowHashes.reserveCapacity(expectedCount)
        birthDates.reserveCapacity(expectedCount)
        records.reserveCapacity(expectedCount)
    }

    /// The first 8 UTF-8 bytes of `id`, big-endian, zero-padded: ordered as the ids' byte order, except that ids
    /// with the same first 8 bytes (or one a zero-padded prefix of the other) tie.
    static func head(_ id: String) -> UInt64 {
        var head: UInt64 = 0
        var n = 0
        for byte in id.utf8.prefix(8) {
            head = head << 8 | UInt64(byte)
            n += 1
        }
        return n == 0 ? 0 : head << (8 * (8 - n))
    }

    /// Adds a batch of active patients (rows without demographics are skipped).
    public mutating func append(_ batch: [MPIIndexRow]) {
        let rows = batch.compactMap { row in row.person.map { (row, $0) } }
        let normalized = Parallel.map(count: rows.count, chunkSize: 2048) { r in
            r.map { Normalizer.normalize(rows[$0].1) }
        }
        for ((row, person), p) in zip(rows, normalized) {
            ids.append(row.patientId)
            rowHashes.append(row.rowHash)
            birthDates.append(MPIIndex.packed(person.birthDate))
            records.append(EncodedPeople.encode(p, lexicon: &lexicon))
        }
    }

    /// Patients appended so far.
    public var count: Int { ids.count }

    /// Rows appended before the warehouse hashed them get their hashes from the warehouse's rows, handed over in
    /// about the order they were appended (`assignRowHashes`, then `assignedAllRowHashes`). A table scan after
    /// one COPY is that order except where PostgreSQL put a short row on an earlier page that still had room:
    /// such a row waits until its turn comes.
    public struct RowHashAssignment {
        var next = 0
        /// Rows seen before their turn, by id bytes (ids that Swift deems equal may differ as text keys).
        var waiting: [[UInt8]: Int64] = [:]
        var failed = false

        public init() {}

        /// Rows waiting above this many mean the order is not the append order: the assignment fails.
        static let maxWaiting = 100_000
    }

    /// Sets the hashes of `rows` (see `RowHashAssignment`).
    public mutating func assignRowHashes(
        _ rows: [(patientId: String, rowHash: Int64)], _ state: inout RowHashAssignment
    ) {
        for row in rows where !state.failed {
            takeWaiting(&state)
            if state.next < ids.count && ids[state.next].utf8.elementsEqual(row.patientId.utf8) {
                rowHashes[state.next] = row.rowHash
                state.next += 1
            } else if state.waiting.updateValue(row.rowHash, forKey: Array(row.patientId.utf8)) != nil
                || state.waiting.count > RowHashAssignment.maxWaiting
            {
                state.failed = true
            }
        }
    }

    /// True when every appended row got its hash, once each, and no row was left over.
    public mutating func assignedAllRowHashes(_ state: inout RowHashAssignment) -> Bool {
        takeWaiting(&state)
        return !state.failed && state.next == ids.count && state.waiting.isEmpty
    }

    private mutating func takeWaiting(_ state: inout RowHashAssignment) {
        while state.next < ids.count, !state.waiting.isEmpty,
            let hash = state.waiting.removeValue(forKey: Array(ids[state.next].utf8))
        {
            rowHashes[state.next] = hash
            state.next += 1
        }
    }

    /// The index, its positions in patient id order.
    /// The arrays are put in order in place: sorted copies held beside the built ones doubled the builder's
    /// memory at the first night's peak (10M patients: about 0.9 GB more).
    public consuming func finish(changedUpTo: String?) -> MPIIndex {
        if !zip(ids, ids.dropFirst()).allSatisfy({ MPIIndex.precedes($0, $1) }) {
            // Most ids differ in their first 8 bytes: compared as integers, the full ids only on a tie.
            var order = Array(ids.indices)
            do {
                let heads = ids.map(Self.head)
                order.sort { a, b in
                    heads[a] != heads[b] ? heads[a] < heads[b] : MPIIndex.precedes(ids[a], ids[b])
                }
            }
            Self.permute(&ids, by: order)
            Self.permute(&rowHashes, by: order)
            Self.permute(&birthDates, by: order)
            Self.permute(&records, by: order)
        }
        return MPIIndex(
            ids: ids, rowHashes: rowHashes, birthDates: birthDates, people: EncodedPeople(records: records),
            lexicon: lexicon, blocking: nil, changedUpTo: changedUpTo)
    }

    /// Reorders `values` in place so that position `i` holds what position `order[i]` held (`order` is a
    /// permutation of the indices), one cycle of the permutation at a time.
    static func permute<T>(_ values: inout [T], by order: [Int]) {
        var placed = [Bool](repeating: false, count: order.count)
        for start in order.indices where !placed[start] {
            let first = values[start]
            var i = start
            while true {
                placed[i] = true
                let next = order[i]
                if next == start {
                    values[i] = first
                    break
                }
                values[i] = values[next]
                i = next
            }
        }
    }
}

extension MPIIndex {
    /// Applies changed patients: a row without demographics retires its patient, a row whose hash differs
    /// replaces the patient's demographics, a new id is added. Unchanged patients keep their codes and the
    /// blocking index is merged, not rebuilt. Returns how many positions changed.
    @discardableResult
    public func apply(_ changes: [MPIIndexRow]) -> Int {
        var latest: [String: MPIIndexRow] = [:]
        for c in changes { latest[c.patientId] = c }
        let relevant = latest.values.filter { c in
            let i = position(of: c.patientId)
            return c.person == nil ? i != nil : i.map { rowHashes[$0] != c.rowHash } ?? true
        }
        guard !relevant.isEmpty else { return 0 }
        let inPlace = relevant.compactMap { row in position(of: row.patientId).map { (row, $0) } }
        if inPlace.count == relevant.count, inPlace.allSatisfy({ $0.0.person != nil }) {
            updateInPlace(inPlace)
            return relevant.count
        }
        let incoming = relevant.filter { $0.person != nil }.sorted { Self.precedes($0.patientId, $1.patientId) }
        let gone = Set(relevant.map(\.patientId))
        var added = MPIIndexBuilder()
        added.lexicon = takeLexicon()
        added.append(incoming)
        lexicon = added.lexicon
        // Merge the kept positions (minus the changed ones) with the added ones, both in id order.
        var newIds: [String] = []
        var newHashes: [Int64] = []
        var newBirths: [Int32] = []
        var newRecords: [PersonCode] = []
        var oldToNew = [Int32](repeating: -1, count: ids.count)
        var addedAt: [Int32] = []
        var i = 0
        var k = 0
        while i < ids.count || k < added.ids.count {
            let takeOld = k == added.ids.count || (i < ids.count && Self.precedes(ids[i], added.ids[k]))
            if takeOld {
                if !gone.contains(ids[i]) {
                    oldToNew[i] = Int32(newIds.count)
                    newIds.append(ids[i])
                    newHashes.append(rowHashes[i])
                    newBirths.append(birthDates[i])
                    newRecords.append(people.records[i])
                }
                i += 1
            } else {
                addedAt.append(Int32(newIds.count))
                newIds.append(added.ids[k])
                newHashes.append(added.rowHashes[k])
                newBirths.append(added.birthDates[k])
                newRecords.append(added.records[k])
                k += 1
            }
        }
        ids = newIds
        rowHashes = newHashes
        birthDates = newBirths
        people = EncodedPeople(records: newRecords)
        blocking = blocking.merged(oldToNew: oldToNew, added: addedAt, people: people, lexicon: lexicon.freeze())
        return relevant.count
    }
}

extension MPIIndex {
    /// Patients whose demographics changed, none added or retired: positions stay, so each patient's codes are
    /// replaced where they are and only the key columns of rules whose key changed are edited, one column at a
    /// time. The index is never copied whole (an update of a 10M-patient index did, and doubled its memory).
    private func updateInPlace(_ changes: [(row: MPIIndexRow, position: Int)]) {
        let rules = blocking.rules
        let before = lexicon.freeze()
        let oldKeys = rules.map { rule in changes.map { rule.key(people, $0.position, before) } }
        var added = MPIIndexBuilder()
        added.lexicon = takeLexicon()
        added.append(changes.map(\.row))
        lexicon = added.lexicon
        // Held only here once `people` lets go, so the codes are replaced without a copy.
        var records = people.records
        people = EncodedPeople(records: [])
        for (j, change) in changes.enumerated() {
            records[change.position] = added.records[j]
            rowHashes[change.position] = added.rowHashes[j]
            birthDates[change.position] = added.birthDates[j]
        }
        people = EncodedPeople(records: records)
        let after = lexicon.freeze()
        var keys = blocking.keys
        var members = blocking.members
        blocking = BlockingIndex(
            rules: rules, maxBlockSize: blocking.maxBlockSize, keys: [], members: [])
        // Each patient has at most one entry a rule: a changed key drops the patient's entry and inserts its new one.
        var dropped = [Bool](repeating: false, count: records.count)
        for r in rules.indices {
            var removed: [Int] = []
            var inserted: [(UInt64, Int32)] = []
            for (j, change) in changes.enumerated() {
                let old = oldKeys[r][j]
                let new = rules[r].key(people, change.position, after)
                guard old != new else { continue }
                if old != nil { removed.append(change.position) }
                if let new { inserted.append((new, Int32(change.position))) }
            }
            guard !removed.isEmpty || !inserted.isEmpty else { continue }
            inserted.sort { $0 < $1 }
            for p in removed { dropped[p] = true }
            let column = KeyColumn.rewritten(
                KeyColumn(keys: keys[r], members: members[r]), member: { dropped[Int($0)] ? nil : $0 },
                inserting: inserted)
            for p in removed { dropped[p] = false }
            keys[r] = column.keys
            members[r] = column.members
        }
        blocking = BlockingIndex(
            rules: rules, maxBlockSize: blocking.maxBlockSize, keys: keys, members: members)
    }
}

extension KeyColumn {
    /// The column with each entry's member mapped by `member` (nil drops the entry; the mapping keeps members
    /// in order, so the column stays sorted) and the `inserting` entries (sorted by key, then member) merged in.
    static func rewritten(
        _ column: KeyColumn, member: (Int32) -> Int32?, inserting: [(UInt64, Int32)]
    ) -> KeyColumn {
        var out = KeyColumn(keys: [], members: [])
        out.keys.reserveCapacity(column.keys.count + inserting.count)
        out.members.reserveCapacity(column.keys.count + inserting.count)
        var a = 0
        for (key, old) in zip(column.keys, column.members) {
            guard let m = member(old) else { continue }
            while a < inserting.count && inserting[a] < (key, m) {
                out.keys.append(inserting[a].0)
                out.members.append(inserting[a].1)
                a += 1
            }
            out.keys.append(key)
            out.members.append(m)
        }
        for (key, m) in inserting[a...] {
            out.keys.append(key)
            out.members.append(m)
        }
        return out
    }
}

extension BlockingIndex {
    /// The index after an update of the MPI: kept positions renumbered (`oldToNew`, -1 when gone; increasing, so
    /// each key column stays sorted) and the keys of the positions `added` merged in.
    func merged(oldToNew: [Int32], added: [Int32], people: EncodedPeople, lexicon: Lexicon) -> BlockingIndex {
        let columns = Parallel.map(count: rules.count, chunkSize: 1) { r -> [KeyColumn] in
            let rule = rules[r.lowerBound]
            var fresh: [(UInt64, Int32)] = added.compactMap { j in rule.key(people, Int(j), lexicon).map { ($0, j) } }
            fresh.sort { $0 < $1 }
            let old = KeyColumn(keys: keys[r.lowerBound], members: members[r.lowerBound])
            return [
                KeyColumn.rewritten(old, member: { oldToNew[Int($0)] >= 0 ? oldToNew[Int($0)] : nil }, inserting: fresh)
            ]
        }
        return BlockingIndex(
            rules: rules, maxBlockSize: maxBlockSize, keys: columns.map(\.keys), members: columns.map(\.members))
    }
}
