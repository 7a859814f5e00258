import Foundation

/// Values handed to threads that only read them, or write parts no other thread touches.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The first error of work done on several threads.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    func keep(_ error: any Error) { lock.withLock { self.error = self.error ?? error } }

    func rethrow() throws {
        if let error = lock.withLock({ error }) { throw error }
    }
}
