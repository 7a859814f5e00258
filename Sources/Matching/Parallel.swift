import Dispatch
import Foundation

/// Results of concurrent chunks, stored by chunk number under a lock.
final class ChunkResults<R: Sendable>: @unchecked Sendable {
    private var slots: [[R]]
    private let lock = NSLock()

    init(chunks: Int) { slots = Array(repeating: [], count: chunks) }

    func store(_ chunk: Int, _ values: [R]) {
        lock.lock()
        slots[chunk] = values
        lock.unlock()
    }

    func joined() -> [R] { slots.flatMap { $0 } }
}

enum Parallel {
    /// Number of worker threads: the machine's active processors.
    static var workers: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Maps `0..<count` in chunks on all cores, keeping the order of the chunks.
    static func map<R: Sendable>(count: Int, chunkSize: Int, _ body: @Sendable (Range<Int>) -> [R]) -> [R] {
        if count == 0 { return [] }
        let chunks = (count + chunkSize - 1) / chunkSize
        let results = ChunkResults<R>(chunks: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = c * chunkSize
            results.store(c, body(lo..<min(count, lo + chunkSize)))
        }
        return results.joined()
    }
}
