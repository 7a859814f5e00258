import Foundation

/// Runs `body` on `slices` consecutive parts of `0..<count` at once, a thread each, then rethrows the first error
/// a part threw. `body` gets its part and the part's number; it may read what the caller shares, and write only
/// what its part owns (its rows of an output buffer, its element of an array of results).
func forEachSlice(of count: Int, slices: Int, _ body: (Range<Int>, Int) throws -> Void) throws {
    let failure = FirstError()
    withoutActuallyEscaping(body) { body in
        let job = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            do {
                try job.value((count * slice / slices)..<(count * (slice + 1) / slices), slice)
            } catch {
                failure.keep(error)
            }
        }
    }
    try failure.rethrow()
}

/// A value handed to threads that only read it, or write parts no other thread touches.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The first error of work done on several threads.
private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    func keep(_ error: any Error) { lock.withLock { self.error = self.error ?? error } }

    func rethrow() throws {
        if let error = lock.withLock({ error }) { throw error }
    }
}
