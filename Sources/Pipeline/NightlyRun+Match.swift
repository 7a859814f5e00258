import Consent
import Extractors
import Foundation
import LastMileCore
import Matching
import Store

/// An incoming person to link: the latest demographics of one source person id (or of one record).
struct PersonGroup {
    var source: String
    var key: String
    var hasSourcePersonId: Bool
    var person: PersonIdentity
    var records: [SourceRecord] = []
}

/// The night after matching: its people (records grouped by source person, in first-seen order), the patient
/// each linked person belongs to, and the crosswalk and review rows to store.
struct MatchedNight {
    var people: [PersonGroup]
    /// The linked patient by index into `people`.
    var patientOf: [Int: String] = [:]
    /// Indices of the people linked through the stored crosswalk rather than the matcher.
    var viaCrosswalk: Set<Int> = []
    var crosswalkRows: [CrosswalkRow] = []
    var reviewRows: [ReviewRow] = []
    /// The records of the people sent to review tonight, held until a reviewer decides.
    var heldRecords: [ReviewQueue.HeldRecord] = []
    /// Indices of the people whose held records a decision released tonight (appended after tonight's people).
    var fromReview: Set<Int> = []
    /// Per person the matcher linked tonight, how many of their records held on earlier nights joined them.
    var heldJoined: [Int: Int] = [:]
    var rejected: [RejectedRow]
    var counts: NightCounts
    /// How many people went to the matcher.
    var peopleMatched = 0

    /// Records one decision of the matcher for the person at `index`.
    mutating func record(_ d: LinkDecision, person index: Int, patients: MPIIndex) throws {
        let g = people[index]
        switch d.decision {
        case .match:
            guard let candidate = d.mpi else { throw PipelineError.matchWithoutCandidate }
            let patientId = patients.ids[candidate]
            patientOf[index] = patientId
            if g.hasSourcePersonId {
                crosswalkRows.append(
                    (
                        source: g.source, sourcePersonId: g.key, patientId: patientId, probability: d.probability,
                        fingerprint: DemographicsFingerprint.of(g.person)
                    ))
            }
        case .review:
            reviewRows.append(
                (
                    source: g.source, sourcePersonId: g.key, candidate: d.mpi.map { patients.ids[$0] },
                    runnerUp: d.runnerUp.map { patients.ids[$0] }, probability: d.probability,
                    reason: d.reason.rawValue, fingerprint: DemographicsFingerprint.of(g.person)
                ))
            // Moved, not copied: the person's group no longer needs them (gate 2 plans linked people only).
            people[index].records = []
            heldRecords += g.records.map { (sourcePersonId: g.key, record: $0) }
            counts[g.source].review += g.records.count
        case .noMatch:
            counts[g.source].unmatched += g.records.count
        }
    }

    /// Groups records by source person, taking the files' records (`files` is left empty). Without a source
    /// person id, records with the same demographics are one person: matching them apart would make them
    /// contest the same patient and send them all to review.
    static func people(taking files: inout [[SourceRecord]]) -> [PersonGroup] {
        var grouping = Grouping()
        for k in files.indices {
            let records = files[k]
            files[k] = []
            grouping.add(records)
        }
        files = []
        return grouping.finish()
    }

    /// Records grouped by source and person key (no key string built per record), and where in each group the
    /// last record with demographics is: a record that names only the student (an enrollment span) keeps the
    /// demographics of the others, so each group takes its last full record's once, at the end.
    private struct Grouping {
        struct Key: Hashable {
            var source: String
            var person: String
        }
        var index: [Key: Int] = [:]
        var groups: [PersonGroup] = []
        var lastFull: [Int] = []

        /// Two passes over a file's records: each record's group first, then the records into groups sized
        /// once (grown by doubling, a group's list moved its records again five or six times).
        mutating func add(_ records: [SourceRecord]) {
            var groupOf: [Int] = []
            groupOf.reserveCapacity(records.count)
            var adding = [Int](repeating: 0, count: groups.count)
            for record in records {
                let spid = record.person.sourcePersonId.flatMap { $0.isEmpty ? nil : $0 }
                let key = Key(source: record.source, person: spid ?? "fp:" + DemographicsFingerprint.of(record.person))
                let i = index[key] ?? groups.count
                if i == groups.count {
                    index[key] = i
                    groups.append(
                        PersonGroup(
                            source: record.source, key: key.person, hasSourcePersonId: spid != nil,
                            person: record.person))
                    lastFull.append(-1)
                    adding.append(0)
                }
                groupOf.append(i)
                adding[i] += 1
            }
            for i in groups.indices where adding[i] > 0 {
                groups[i].records.reserveCapacity(groups[i].records.count + adding[i])
            }
            for (record, i) in zip(records, groupOf) {
                if !record.person.isIdOnly { lastFull[i] = groups[i].records.count }
                groups[i].records.append(record)
            }
        }

        consuming func finish() -> [PersonGroup] {
            for i in groups.indices where lastFull[i] > 0 {
                groups[i].person = groups[i].records[lastFull[i]].person
            }
            return groups
        }
    }
}

extension RunState {
    /// Groups the admitted records by person, links those the crosswalk knows, and matches the rest against the
    /// MPI index, each source on its own: one patient may rightly appear in several sources (a student who
    /// is also in a shelter), while within one source two people claiming one patient is a reason to review.
    func match(_ night: inout ExtractedNight, sources: [SourceConfig], patients: MPIIndex) throws
        -> MatchedNight
    {
        // The people hold every admitted record from here on: each file's records are released once grouped.
        var matched = MatchedNight(
            people: MatchedNight.people(taking: &night.admitted), rejected: night.rejected, counts: night.counts)
        let review = ReviewQueue(connection: connection)
        let neverLinks = try review.neverLinks(sources: Set(sources.map(\.name)))
        let toMatch = try linkByCrosswalk(&matched, sources: sources, patients: patients, neverLinks: neverLinks)
        matched.peopleMatched = toMatch.count
        try link(toMatch, into: &matched, sources: sources, patients: patients, neverLinks: neverLinks)
        try releaseHeldRecords(&matched, sources: sources, patients: patients, neverLinks: neverLinks)
        return matched
    }

    /// Links the people the crosswalk did not, with one linker for the night: the MPI is encoded and indexed
    /// once, whatever the number of sources, and each source is decided on its own.
    private func link(
        _ toMatch: [Int], into matched: inout MatchedNight, sources: [SourceConfig], patients: MPIIndex,
        neverLinks: [String: Set<String>]
    ) throws {
        guard !toMatch.isEmpty else { return }
        guard patients.count > 0 else {
            for i in toMatch { matched.counts[matched.people[i].source].unmatched += matched.people[i].records.count }
            return
        }
        // The kept index's codes and lexicon: the incoming people are encoded into it, the MPI is not again.
        let inputs = MatchInputs(
            mpi: patients.people, lexicon: patients.takeLexicon(), incoming: toMatch.map { matched.people[$0].person })
        // Never-link rules by incoming position (reviewers' rejections and reported wrong persons).
        let forbidden = Self.forbiddenPositions(toMatch.map { matched.people[$0] }, neverLinks, patients)
        let linker = Linker(
            model: try loadModel(inputs), inputs: inputs, index: patients.blocking, neverLink: forbidden)
        for source in sources {
            let positions = toMatch.indices.filter { matched.people[toMatch[$0]].source == source.name }
            guard !positions.isEmpty else { continue }
            for d in linker.link(only: positions).decisions {
                try matched.record(d, person: toMatch[d.incoming], patients: patients)
            }
        }
    }

    /// Per incoming position, the MPI positions its never-link rules forbid.
    private static func forbiddenPositions(
        _ people: [PersonGroup], _ neverLinks: [String: Set<String>], _ patients: MPIIndex
    ) -> [Int: Set<Int32>] {
        guard !neverLinks.isEmpty else { return [:] }
        var forbidden: [Int: Set<Int32>] = [:]
        for (k, g) in people.enumerated() {
            guard let rule = neverLinks[g.source + "\u{1F}" + g.key] else { continue }
            let positions = Set(rule.compactMap { patients.position(of: $0).map(Int32.init) })
            if !positions.isEmpty { forbidden[k] = positions }
        }
        return forbidden
    }

    /// Adds the held records of people a decision has linked since they were queued (an accepted item, or a
    /// person the matcher linked on a later night) as people of their own, linked to their crosswalk patient,
    /// to pass gate 2 and load with tonight's records. A held record the source re-sent tonight is left out:
    /// tonight's version is the one to load.
    private func releaseHeldRecords(
        _ matched: inout MatchedNight, sources: [SourceConfig], patients: MPIIndex,
        neverLinks: [String: Set<String>]
    ) throws {
        let linked = matched.people.indices.filter {
            matched.patientOf[$0] != nil && !matched.viaCrosswalk.contains($0) && matched.people[$0].hasSourcePersonId
        }
        let review = ReviewQueue(connection: connection)
        let held = try review.heldRecords(of: linked.map { (matched.people[$0].source, matched.people[$0].key) })
        let released = try review.releasable(sources: Set(sources.map(\.name)))
        guard !held.isEmpty || !released.isEmpty else { return }
        let resent = Self.resentTonight(
            held.map { RecordKey($0.record) } + released.map { RecordKey($0.record) }, in: matched)
        joinHeldRecordsOfPeopleLinkedTonight(&matched, linked: linked, held: held, resent: resent)
        var groups: [String: Int] = [:]
        for r in released {
            let key = r.record.source + "\u{1F}" + r.sourcePersonId
            guard patients.position(of: r.patientId) != nil, neverLinks[key]?.contains(r.patientId) != true else {
                continue
            }
            let i = groups[key] ?? matched.people.count
            if i == matched.people.count {
                groups[key] = i
                matched.people.append(
                    PersonGroup(
                        source: r.record.source, key: r.sourcePersonId, hasSourcePersonId: true,
                        person: r.record.person))
                matched.patientOf[i] = r.patientId
                matched.fromReview.insert(i)
            }
            if !resent.contains(RecordKey(r.record)) {
                matched.people[i].records.append(r.record)
            }
        }
    }

    /// A record's identity within the night: its source and record id.
    private struct RecordKey: Hashable {
        var source: String
        var recordId: String
        init(_ record: SourceRecord) {
            source = record.source
            recordId = record.recordId
        }
    }

    /// Which of `candidates` (records held or released from review) tonight's files sent again: the people's
    /// records, and those of the people held for review. One pass over the night, no key built per record.
    private static func resentTonight(_ candidates: [RecordKey], in matched: MatchedNight) -> Set<RecordKey> {
        let wanted = Set(candidates)
        var found: Set<RecordKey> = []
        for record in matched.people.lazy.flatMap(\.records) where wanted.contains(RecordKey(record)) {
            found.insert(RecordKey(record))
        }
        for h in matched.heldRecords where wanted.contains(RecordKey(h.record)) { found.insert(RecordKey(h.record)) }
        return found
    }

    /// Adds to each person the matcher linked tonight the records held for them on earlier nights (they were in
    /// review then), leaving out those re-sent tonight. Released tonight, with the link, they are loaded and
    /// deleted; left for a later night, they would overwrite what tonight's newer file said.
    private func joinHeldRecordsOfPeopleLinkedTonight(
        _ matched: inout MatchedNight, linked: [Int],
        held: [(source: String, sourcePersonId: String, record: SourceRecord)], resent: Set<RecordKey>
    ) {
        var index: [String: Int] = [:]
        for i in linked { index[matched.people[i].source + "\u{1F}" + matched.people[i].key] = i }
        for h in held {
            guard let i = index[h.source + "\u{1F}" + h.sourcePersonId] else { continue }
            let fresh = !resent.contains(RecordKey(h.record))
            if fresh { matched.people[i].records.append(h.record) }
            // Noted even when tonight re-sent the record, so that the load deletes the older held copy.
            matched.heldJoined[i, default: 0] += fresh ? 1 : 0
        }
    }

    /// Links each person whose source person id the crosswalk holds with the same demographics and a patient
    /// still active; returns the indices of the others, to be matched. Records naming only a source person who
    /// is in review (an absences-only district's enrollment span sent while the student's item is open) are
    /// held with the item, so an accept releases them with its other records.
    /// A person without a source person id has a crosswalk entry only when a reviewer linked it (keyed by its
    /// demographics hash); a pair a never-link rule forbids is matched again instead.
    private func linkByCrosswalk(
        _ matched: inout MatchedNight, sources: [SourceConfig], patients: MPIIndex,
        neverLinks: [String: Set<String>]
    ) throws -> [Int] {
        let crosswalk = try Crosswalk.load(connection, sources: Set(sources.map(\.name)))
        let inReview = try ReviewQueue(connection: connection).openItemKeys(sources: Set(sources.map(\.name)))
        var toMatch: [Int] = []
        for (i, g) in matched.people.enumerated() {
            // Records naming only the student (enrollment spans) link through the crosswalk by id alone, and
            // are never matched on demographics they do not have.
            let key = g.source + "\u{1F}" + g.key
            if let known = crosswalk[key],
                g.person.isIdOnly || known.fingerprint == DemographicsFingerprint.of(g.person),
                patients.position(of: known.patientId) != nil, neverLinks[key]?.contains(known.patientId) != true
            {
                matched.patientOf[i] = known.patientId
                matched.viaCrosswalk.insert(i)
            } else if g.person.isIdOnly && inReview.contains(key) {
                matched.people[i].records = []
                matched.heldRecords += g.records.map { (sourcePersonId: g.key, record: $0) }
                matched.counts[g.source].review += g.records.count
            } else if g.person.isIdOnly {
                matched.counts[g.source].unmatched += g.records.count
            } else {
                toMatch.append(i)
            }
        }
        return toMatch
    }

    private func loadModel(_ inputs: MatchInputs) throws -> FellegiSunterModel {
        var model: FellegiSunterModel
        if let path = config.matchModelPath {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw PipelineError.cannotReadModel(path: path)
            }
            model = try FellegiSunterModel.load(json: data)
        } else {
            logger.warning("no match model configured; training one on tonight's inputs")
            model = ModelTrainer.train(inputs)
        }
        if let t = config.matchThreshold { model.thresholds.match = t }
        if let t = config.reviewThreshold { model.thresholds.review = t }
        model.thresholds.review = min(model.thresholds.review, model.thresholds.match)
        return model
    }
}

/// What the night will write: per source, the records that passed gate 2 with their patient, and the night's
/// links, review entries and quarantine rows.
struct LoadPlan {
    var records: [String: [EventStore.LinkedRecord]] = [:]
    var recordCount = 0
    var crosswalkRows: [CrosswalkRow]
    var reviewRows: [ReviewRow]
    var heldRecords: [ReviewQueue.HeldRecord]
    /// Source people whose held records were released tonight (marked loaded with the night).
    var released: [(source: String, sourcePersonId: String)] = []
    var rejected: [RejectedRow]
    var counts: NightCounts
}

extension RunState {
    /// Gate 2: each linked record passes only when its patient's directives allow it (a decision per patient,
    /// source and category).
    /// Each person's records are released as they are planned, so the night's records are not held twice.
    func planLoad(_ matched: consuming MatchedNight, patients: MPIIndex) throws -> LoadPlan {
        let linkedIds = Array(Set(matched.patientOf.values))
        let directives = try ConsentStore(connection: connection).directives(forPatients: linkedIds)
        var plan = LoadPlan(
            crosswalkRows: matched.crosswalkRows, reviewRows: matched.reviewRows, heldRecords: matched.heldRecords,
            rejected: matched.rejected, counts: matched.counts)
        // Each source's list at its final size at once: grown by doubling, it would briefly hold twice its rows.
        var linkedPerSource: [String: Int] = [:]
        for (i, g) in matched.people.enumerated() where matched.patientOf[i] != nil {
            linkedPerSource[g.source, default: 0] += g.records.count
        }
        for (source, n) in linkedPerSource { plan.records[source, default: []].reserveCapacity(n) }
        for i in matched.people.indices {
            guard let patientId = matched.patientOf[i] else { continue }
            let g = matched.people[i]
            matched.people[i].records = []
            let released = matched.fromReview.contains(i)
            if released || matched.heldJoined[i] != nil { plan.released.append((g.source, g.key)) }
            plan.counts[g.source].releasedFromReview += matched.heldJoined[i] ?? 0
            // One person's records share a source and a patient: a decision per category, not a key per record.
            var decisions: [DataCategory: ConsentDecision] = [:]
            for record in g.records {
                if released { plan.counts[record.source].releasedFromReview += 1 }
                let category = record.event.category
                let decision =
                    decisions[category]
                    ?? gate.evaluate(
                        ConsentRequest(
                            patientId: patientId, category: category, source: g.source,
                            purpose: config.purpose, recipient: nil, date: options.asOf,
                            patientBirthDate: patients.birthDate(of: patientId)),
                        directives: directives[patientId] ?? [])
                decisions[category] = decision
                if matched.viaCrosswalk.contains(i) { plan.counts[record.source].linkedByCrosswalk += 1 }
                if decision.passes {
                    plan.counts[record.source].loaded += 1
                    plan.records[record.source, default: []].append(
                        EventStore.LinkedRecord(record: record, patientId: patientId))
                    plan.recordCount += 1
                } else {
                    plan.counts[record.source].deniedAfterMatch[decision.reason.rawValue, default: 0] += 1
                }
            }
        }
        return plan
    }
}

extension PersonIdentity {
    /// Whether the identity is a source person id and nothing else (an enrollment span's student).
    var isIdOnly: Bool {
        givenName == nil && familyName == nil && birthDate == nil && ssn == nil && ssnLast4 == nil && phone == nil
            && street == nil && postalCode == nil
    }
}
