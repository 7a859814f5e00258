import Foundation
import LastMileCore
import Matching
import Store

extension ClericalReview {
    /// One compared field: both sides' values, and the level and weight against the candidate and runner-up.
    package struct FieldRow: Equatable {
        package var field: String
        package var incoming: String?
        package var candidate: String?
        package var level: String?
        package var weight: Double?
        package var runnerUp: String?
        package var runnerUpLevel: String?
        package var runnerUpWeight: Double?
    }

    /// An item with its incoming record and candidates compared field by field, as the matcher scored them.
    package struct ItemComparison: Equatable {
        package var item: ReviewItem
        package var ageDays: Int
        /// False when no record is held for the item (nothing to compare).
        package var hasIncoming: Bool
        package var fields: [FieldRow]
        package var candidateProbability: Double?
        package var runnerUpProbability: Double?
    }

    /// The match model a review compares with: `modelPath`, else the pipeline's.
    package static func model(pipeline: PipelineConfig?, modelPath: String?) throws -> FellegiSunterModel {
        guard let path = modelPath ?? pipeline?.matchModelPath else { throw ReviewError.noModel }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.cannotReadModel(path: path)
        }
        var model = try FellegiSunterModel.load(json: data)
        if let t = pipeline?.matchThreshold { model.thresholds.match = t }
        if let t = pipeline?.reviewThreshold { model.thresholds.review = t }
        return model
    }

    /// Compares each item's latest held record with its candidate and runner-up, against the whole MPI snapshot
    /// (so term-frequency weights are the night's).
    package func compare(_ items: [ReviewItem], model: FellegiSunterModel) throws -> [ItemComparison] {
        let snapshot = try PatientSnapshot.load(connection)
        var mpi = snapshot.people
        var position = snapshot.index
        var incoming: [PersonIdentity] = []
        var incomingOf: [Int64: Int] = [:]
        for item in items {
            if let person = try queue.incomingPerson(of: item) {
                incomingOf[item.id] = incoming.count
                incoming.append(person)
            }
            for id in [item.candidate, item.runnerUp].compactMap({ $0 }) where position[id] == nil {
                // A candidate retired since the night is still shown, from its stored demographics.
                if let person = try queue.patient(id) {
                    position[id] = mpi.count
                    mpi.append(person)
                }
            }
        }
        let linker = Linker(model: model, inputs: MatchInputs(mpi: mpi, incoming: incoming))
        let now = clock.now
        return items.map { item in
            let i = incomingOf[item.id]
            let candidate = item.candidate.flatMap { position[$0] }
            let runnerUp = item.runnerUp.flatMap { position[$0] }
            let best = zip2(i, candidate).map { linker.explain(incoming: $0, mpi: $1) }
            let second = zip2(i, runnerUp).map { linker.explain(incoming: $0, mpi: $1) }
            let values = i.map { Self.displayValues(incoming[$0]) } ?? [:]
            let candidateValues = candidate.map { Self.displayValues(mpi[$0]) } ?? [:]
            let runnerUpValues = runnerUp.map { Self.displayValues(mpi[$0]) } ?? [:]
            let fields = MatchField.allCases.map(\.rawValue).map { field in
                let a = best?.fields.first { $0.field == field }
                let b = second?.fields.first { $0.field == field }
                return FieldRow(
                    field: field, incoming: values[field], candidate: candidateValues[field], level: a?.level,
                    weight: a?.weight, runnerUp: runnerUpValues[field], runnerUpLevel: b?.level,
                    runnerUpWeight: b?.weight)
            }
            return ItemComparison(
                item: item, ageDays: max(0, Int(now.timeIntervalSince(item.queuedAt) / 86_400)), hasIncoming: i != nil,
                fields: fields, candidateProbability: best?.probability, runnerUpProbability: second?.probability)
        }
    }

    /// `review show`: the comparison as text. With `viewer`, personal values are shown and the view is recorded
    /// in `lastmile.review_access` first (nothing is shown when the record cannot be written).
    package func show(_ id: Int64, model: FellegiSunterModel, viewer: String?) throws -> String {
        let item = try self.item(id)
        if let viewer { try queue.logAccess(by: viewer, action: "show", items: [id], at: clock.now) }
        let comparison = try compare([item], model: model)[0]
        return Self.render(comparison, showPersonalData: viewer != nil)
    }

    /// The values a reviewer compares, by field: as the source gave them; the SSN as its last four digits only.
    static func displayValues(_ p: PersonIdentity) -> [String: String] {
        var v: [String: String] = [:]
        v["given_name"] = [p.givenName, p.middleName].compactMap { $0 }.joined(separator: " ")
        v["family_name"] = [p.familyName, p.suffix].compactMap { $0 }.joined(separator: " ")
        v["birth_date"] = p.birthDate?.description
        v["sex"] = p.sex?.rawValue
        if let last4 = p.ssn.map({ String($0.suffix(4)) }) ?? p.ssnLast4 { v["ssn"] = "***-**-" + last4 }
        v["street"] = p.street
        v["city"] = p.city
        v["postal_code"] = p.postalCode
        v["phone"] = p.phone
        return v.filter { !$0.value.isEmpty }
    }

    /// A value as shown: itself with personal data, else only whether it is present.
    static func shown(_ value: String?, _ personal: Bool) -> String {
        guard let value else { return "-" }
        return personal ? value : "(present)"
    }

    /// The comparison as a text table: one line per field.
    package static func render(_ c: ItemComparison, showPersonalData personal: Bool) -> String {
        let item = c.item
        var lines = [
            "review item \(item.id): source \(item.source), reason \(item.reason), queued \(c.ageDays) day(s) ago, "
                + "state \(item.resolution ?? "open")"
        ]
        if personal {
            lines.append(
                "source person \(item.sourcePersonId); candidate \(item.candidate ?? "-"); "
                    + "runner-up \(item.runnerUp ?? "-")")
        } else {
            lines.append("personal values masked (--show-personal-data --by NAME shows them, and is logged)")
        }
        let p = c.candidateProbability.map { String(format: "%.4f", $0) } ?? "-"
        let p2 = c.runnerUpProbability.map { String(format: "%.4f", $0) } ?? "-"
        lines.append("match probability: candidate \(p), runner-up \(p2)")
        guard c.hasIncoming else {
            lines.append("no record is held for this item (queued before records were held): nothing to compare")
            return lines.joined(separator: "\n")
        }
        lines.append("")
        let width = personal ? 24 : 11
        lines.append(
            pad("field", 13) + pad("incoming", width) + pad("candidate", width) + pad("level", 36) + pad("weight", 9)
                + pad("runner-up", width) + pad("level", 36) + "weight")
        for f in c.fields {
            lines.append(
                pad(f.field, 13) + pad(shown(f.incoming, personal), width) + pad(shown(f.candidate, personal), width)
                    + pad(f.level ?? "-", 36) + pad(weight(f.weight), 9) + pad(shown(f.runnerUp, personal), width)
                    + pad(f.runnerUpLevel ?? "-", 36) + weight(f.runnerUpWeight))
        }
        return lines.joined(separator: "\n")
    }

    static func weight(_ w: Double?) -> String { w.map { String(format: "%+.2f", $0) } ?? "-" }
}

/// Both values, when both are present.
private func zip2<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
