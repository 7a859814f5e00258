import LastMileCore

/// A table of values with relative weights, sampled in O(log n).
struct WeightedTable: Sendable {
    let values: [String]
    private let cumulative: [Double]

    init(_ entries: [(String, Double)]) {
        values = entries.map(\.0)
        var total = 0.0
        cumulative = entries.map { entry in
            total += entry.1
            return total
        }
    }

    var count: Int { values.count }

    func pick(using rng: inout SplitMix64) -> String {
        let target = rng.unit() * (cumulative.last ?? 0)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] <= target { low = mid + 1 } else { high = mid }
        }
        return values[low]
    }
}
