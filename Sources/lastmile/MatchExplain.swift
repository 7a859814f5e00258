import ArgumentParser
import Extractors
import Foundation
import LastMileCore
import Matching

/// `lastmile match explain`: the waterfall of field weights behind one pair.
struct MatchExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show the per-field weights behind one incoming/MPI pair, as a text waterfall.",
        discussion: """
            A data-engineering tool. It prints each field's comparison level and weight (log2 Bayes factor), \
            the prior and the resulting probability; it prints the compared values only with \
            --show-personal-data.

            Example:  lastmile match explain --mpi bench-work/2k/mpi.csv --incoming bench-work/2k/incoming.csv \
            --model bench-work/2k/model.json --incoming-id I972141 --mpi-id P962089
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "MPI patients, canonical person CSV.") var mpi: String
    @Option(help: "People to link, canonical person CSV.") var incoming: String
    @Option(help: "Trained model JSON; default: train on the inputs.") var model: String?
    @Option(help: "The incoming record's id.") var incomingId: String
    @Option(help: "The MPI patient's id.") var mpiId: String
    @ArgumentParser.Flag(help: "Also print both records' normalised values (personal data).") var showPersonalData =
        false

    func run() throws {
        let logger = global.makeLogger()
        let files = try MatchFiles.load(mpi: mpi, incoming: incoming, logger: logger)
        let model = try files.model(at: self.model, logger: logger)
        let i = try files.position(of: incomingId, inMPI: false)
        let j = try files.position(of: mpiId, inMPI: true)
        let linker = Linker(model: model, inputs: files.inputs)
        let e = linker.explain(incoming: i, mpi: j)
        var values: [String: (String, String)] = [:]
        if showPersonalData {
            let a = try Self.person(files, incomingId, mpi: false)
            let b = try Self.person(files, mpiId, mpi: true)
            values = Self.values(Normalizer.normalize(a), Normalizer.normalize(b))
        }
        print(Self.waterfall(e, values: values))
    }

    static func person(_ files: MatchFiles, _ id: String, mpi: Bool) throws -> PersonIdentity {
        // Re-reading keeps the encoded inputs free of the raw records.
        let path = mpi ? files.mpiPath : files.incomingPath
        let reader = try CanonicalPersonReader(path: path)
        while let r = try reader.next() {
            if case .success(let row) = r, row.id == id { return row.person }
        }
        throw MatchCommandError.unknownId(file: mpi ? "--mpi" : "--incoming")
    }

    static func values(_ a: NormalizedPerson, _ b: NormalizedPerson) -> [String: (String, String)] {
        func pair(_ x: String?, _ y: String?) -> (String, String) { (x ?? "∅", y ?? "∅") }
        return [
            "given_name": pair(a.givenName, b.givenName), "family_name": pair(a.familyName, b.familyName),
            "birth_date": pair(a.birthDate?.description, b.birthDate?.description),
            "sex": pair(a.sex?.rawValue, b.sex?.rawValue), "ssn": pair(a.ssn ?? a.ssnLast4, b.ssn ?? b.ssnLast4),
            "street": pair(a.street, b.street), "city": pair(a.city, b.city),
            "postal_code": pair(a.postalCode, b.postalCode), "phone": pair(a.phone, b.phone),
        ]
    }

    /// One line per term: field, level, weight, running total, and a bar of the weight.
    static func waterfall(_ e: PairExplanation, values: [String: (String, String)]) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func num(_ x: Double) -> String {
            let s = String(format: "%+.2f", x)
            return String(repeating: " ", count: max(0, 8 - s.count)) + s
        }
        func bar(_ w: Double) -> String {
            let n = min(30, Int(abs(w).rounded()))
            return w >= 0 ? String(repeating: "+", count: n) : String(repeating: "-", count: n)
        }
        var lines = [pad("field", 13) + pad("level", 58) + "  weight   running"]
        var running = e.priorWeight
        lines.append(
            pad("prior", 13) + pad("λ, log2 prior odds", 58) + num(e.priorWeight) + num(running) + "  "
                + bar(e.priorWeight))
        for f in e.fields {
            running += f.weight
            var line = pad(f.field, 13) + pad(f.level, 58) + num(f.weight) + num(running) + "  " + bar(f.weight)
            if let (a, b) = values[f.field] { line += "   [\(a) | \(b)]" }
            lines.append(line)
        }
        lines.append(pad("total", 71) + num(e.totalWeight))
        lines.append(
            "match probability \(String(format: "%.6f", e.probability))"
                + (e.sharesHousehold ? "  (pair shares an address or phone: identity fields use household u)" : ""))
        return lines.joined(separator: "\n")
    }
}
