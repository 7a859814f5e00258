// String similarity measures used by the comparisons: Jaro–Winkler and Damerau–Levenshtein (optimal string
// alignment). Both work on bytes: names and streets are folded to ASCII upper case before they get here.

/// Similarity and distance functions over normalised (ASCII, upper-case) strings.
public enum StringComparators {
    /// Jaro–Winkler similarity in 0…1 (prefix scale 0.1, at most four prefix characters).
    ///
    /// Strings longer than 64 bytes are compared on their first 64 bytes.
    public static func jaroWinkler(_ a: String, _ b: String) -> Double {
        var a = a
        var b = b
        return a.withUTF8 { pa in b.withUTF8 { pb in jaroWinkler(pa, pb) } }
    }

    /// Damerau–Levenshtein distance (optimal string alignment: adjacent transpositions, no substring edited twice).
    public static func damerauLevenshtein(_ a: String, _ b: String) -> Int {
        var a = a
        var b = b
        return a.withUTF8 { pa in b.withUTF8 { pb in damerauLevenshtein(pa, pb, limit: Int.max) } }
    }

    static func jaroWinkler(_ s1: UnsafeBufferPointer<UInt8>, _ s2: UnsafeBufferPointer<UInt8>) -> Double {
        let n1 = min(s1.count, 64)
        let n2 = min(s2.count, 64)
        if n1 == 0 || n2 == 0 { return n1 == n2 ? 1 : 0 }
        if n1 == n2 && memcmpEqual(s1, s2, n1) { return 1 }
        let window = max(0, max(n1, n2) / 2 - 1)
        var used2: UInt64 = 0
        var used1: UInt64 = 0
        var matches = 0
        for i in 0..<n1 {
            let lo = max(0, i - window)
            let hi = min(n2 - 1, i + window)
            if lo > hi { continue }
            let c = s1[i]
            var j = lo
            while j <= hi {
                if used2 & (1 << UInt64(j)) == 0 && s2[j] == c {
                    used2 |= 1 << UInt64(j)
                    used1 |= 1 << UInt64(i)
                    matches += 1
                    break
                }
                j += 1
            }
        }
        if matches == 0 { return 0 }
        var halfTranspositions = 0
        var k = 0
        for i in 0..<n1 where used1 & (1 << UInt64(i)) != 0 {
            while used2 & (1 << UInt64(k)) == 0 { k += 1 }
            if s1[i] != s2[k] { halfTranspositions += 1 }
            k += 1
        }
        let m = Double(matches)
        let jaro = (m / Double(n1) + m / Double(n2) + (m - Double(halfTranspositions / 2)) / m) / 3
        var prefix = 0
        while prefix < min(4, n1, n2) && s1[prefix] == s2[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    /// Optimal-string-alignment distance, giving up (returning `limit + 1`) once it must exceed `limit`.
    static func damerauLevenshtein(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, limit: Int) -> Int
    {
        let n = a.count
        let m = b.count
        if abs(n - m) > limit { return limit == Int.max ? abs(n - m) : limit + 1 }
        if n == 0 { return m }
        if m == 0 { return n }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (m + 1)) { rows in
            var prev2 = 0
            var prev = m + 1
            var cur = 2 * (m + 1)
            for j in 0...m { rows[prev + j] = j }
            // Only cells within `limit` of the diagonal can stay within `limit`: the others are set out of reach.
            let band = limit == Int.max ? Int.max : limit
            let outOfReach = limit == Int.max ? Int.max / 2 : limit + 1
            for i in 1...n {
                rows[cur] = i <= band ? i : outOfReach
                var rowMin = rows[cur]
                let lo = band == Int.max ? 1 : max(1, i - band)
                let hi = band == Int.max ? m : min(m, i + band)
                if lo > 1 { rows[cur + lo - 1] = outOfReach }
                if hi < m { rows[cur + hi + 1] = outOfReach }
                if lo > hi { return limit + 1 }
                for j in lo...hi {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var v = min(rows[prev + j] + 1, rows[cur + j - 1] + 1, rows[prev + j - 1] + cost)
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                        v = min(v, rows[prev2 + j - 2] + 1)
                    }
                    rows[cur + j] = v
                    rowMin = min(rowMin, v)
                }
                if limit != Int.max && rowMin > limit { return limit + 1 }
                (prev2, prev, cur) = (prev, cur, prev2)
            }
            return rows[prev + m]
        }
    }

    @inline(__always)
    static func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ n: Int) -> Bool {
        for i in 0..<n where a[i] != b[i] { return false }
        return true
    }
}
