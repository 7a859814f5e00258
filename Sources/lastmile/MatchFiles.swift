import Extractors
import Foundation
import LastMileCore
import Logging
import Matching
import Pipeline

/// The MPI and incoming files of `link` and `match`, read and encoded for the matcher.
struct MatchFiles {
    let mpiPath: String
    let incomingPath: String
    let mpiIds: [String]
    let incomingIds: [String]
    let inputs: MatchInputs

    /// Reads both canonical person CSVs; rejected rows are counted and logged by position only.
    static func load(mpi: String, incoming: String, logger: Logger) throws -> MatchFiles {
        let started = ContinuousClock.now
        let (mpiPeople, mpiIds) = try read(mpi, logger: logger)
        let (incomingPeople, incomingIds) = try read(incoming, logger: logger)
        let inputs = MatchInputs(mpi: mpiPeople, incoming: incomingPeople)
        logger.info(
            "inputs encoded",
            metadata: [
                "mpi.records": .number(mpiIds.count), "incoming.records": .number(incomingIds.count),
                "seconds": .seconds((ContinuousClock.now - started).seconds),
            ])
        return MatchFiles(
            mpiPath: mpi, incomingPath: incoming, mpiIds: mpiIds, incomingIds: incomingIds, inputs: inputs)
    }

    private static func read(_ path: String, logger: Logger) throws -> ([PersonIdentity], [String]) {
        let reader = try CanonicalPersonReader(path: path)
        var people: [PersonIdentity] = []
        var ids: [String] = []
        var rejected = 0
        while let result = try reader.next() {
            switch result {
            case .success(let row):
                people.append(row.person)
                ids.append(row.id)
            case .failure(let rejection):
                rejected += 1
                if rejected <= 10 { logger.warning("row rejected", metadata: ["rejection": "\(rejection)"]) }
            }
        }
        logger.info(
            "file read",
            metadata: ["file": "\(reader.csv.file)", "rows": .number(ids.count), "rows.rejected": .number(rejected)])
        return (people, ids)
    }

    /// Loads the model at `path`, or trains one on these inputs when `path` is nil.
    func model(at path: String?, logger: Logger) throws -> FellegiSunterModel {
        guard let path else {
            let started = ContinuousClock.now
            let model = ModelTrainer.train(inputs)
            logger.info("model trained", metadata: ["seconds": .seconds((ContinuousClock.now - started).seconds)])
            return model
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MatchCommandError.cannotReadModel(path: path)
        }
        do {
            return try FellegiSunterModel.load(json: data)
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.invalid("\(path) is not a match model JSON file")
        }
    }

    /// Position of `id` in the MPI or incoming file.
    func position(of id: String, inMPI: Bool) throws -> Int {
        guard let k = (inMPI ? mpiIds : incomingIds).firstIndex(of: id) else {
            throw MatchCommandError.unknownId(file: inMPI ? "--mpi" : "--incoming")
        }
        return k
    }
}

/// Failures of `link` and `match` beyond unusable input files.
enum MatchCommandError: Error, ClassifiedError, CustomStringConvertible {
    case cannotReadModel(path: String)
    case cannotWrite(path: String)
    case unknownId(file: String)

    var exitStatus: ExitStatus {
        switch self {
        case .cannotReadModel: .configuration
        case .cannotWrite: .cannotCreate
        case .unknownId: .usage
        }
    }

    var description: String {
        switch self {
        case .cannotReadModel(let path): "cannot read match model \(path)"
        case .cannotWrite(let path): "cannot write \(path)"
        case .unknownId(let file): "the given id is not in the \(file) file"
        }
    }
}

/// Writes CSV lines to a file through a buffer.
struct CSVLineWriter {
    private let handle: FileHandle
    private var buffer = Data()
    let path: String

    init(path: String, header: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path)
        else {
            throw MatchCommandError.cannotWrite(path: path)
        }
        handle = h
        write(header.split(separator: ",").map(String.init))
    }

    /// Appends one row; fields are quoted when they need it (RFC 4180).
    mutating func write(_ fields: [String]) {
        let line = fields.map { f in
            f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : f
        }.joined(separator: ",")
        buffer.append(contentsOf: line.utf8)
        buffer.append(10)
        if buffer.count > 1 << 20 { flush() }
    }

    mutating func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        flush()
        do { try handle.close() } catch { throw MatchCommandError.cannotWrite(path: path) }
    }
}
