import LastMileCore

/// A half-open run of days `[start, end)` that some evidence covers; `end` nil while it is still open.
struct Span<Item> {
    var start: CivilDate
    var end: CivilDate?
    var items: [Item]

    /// Ends the span at the first cut date strictly inside it (a move to housing ends homelessness).
    func cut(at cuts: [CivilDate]) -> Span {
        var s = self
        if let c = cuts.first(where: { $0 > start && (end == nil || $0 < end!) }) { s.end = c }
        return s
    }

    /// Joins overlapping or touching spans; the result is sorted and has distinct starts.
    static func merge(_ spans: [Span]) -> [Span] {
        var out: [Span] = []
        for s in spans.sorted(by: { $0.start < $1.start }) {
            guard var last = out.last else {
                out.append(s)
                continue
            }
            if let lastEnd = last.end, s.start > lastEnd {
                out.append(s)
                continue
            }
            last.end = (last.end == nil || s.end == nil) ? nil : max(last.end!, s.end!)
            last.items += s.items
            out[out.count - 1] = last
        }
        return out
    }
}
