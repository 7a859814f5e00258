/// SplitMix64: a small seedable generator whose sequence depends on the seed alone.
///
/// Every random choice of the sample-data generators, the matcher's pair sampler and the randomised tests goes
/// through it and the helpers below rather than the standard library's `random(in:using:)`, whose algorithm may
/// change between toolchains; so the same seed gives byte-identical output on every platform and Swift version.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for an independent stream, so that one part of a world can change without shifting the rest.
    public mutating func fork(_ salt: UInt64) -> SplitMix64 {
        SplitMix64(seed: next() ^ (salt &* 0xD1B5_4A32_D192_ED03))
    }

    /// A uniform integer in `0..<n` (multiply-shift; the tiny bias is irrelevant here). `n` must be positive.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(_:) needs a positive bound")
        return Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// A uniform double in `[0, 1)`.
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform double in `range`.
    public mutating func double(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + unit() * (range.upperBound - range.lowerBound)
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        unit() < p
    }

    /// One element of a non-empty array.
    public mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// Shuffles in place (Fisher–Yates).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, below(i + 1))
        }
    }

    /// `k` distinct indices of `0..<n`, in increasing order.
    public mutating func sample(_ k: Int, of n: Int) -> [Int] {
        var all = Array(0..<n)
        let take = min(k, n)
        for i in 0..<take {
            all.swapAt(i, i + below(n - i))
        }
        return all[0..<take].sorted()
    }
}
