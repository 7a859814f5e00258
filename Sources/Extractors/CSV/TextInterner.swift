#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A per-file cache of recent field values by column, so a value repeated across rows (a school, a grade, a
/// city, a common name) is decoded once and then shared instead of rebuilt for every row.
///
/// Each column has a small direct-mapped table keyed on the field's bytes. A hit returns the stored `String`
/// (equal to what decoding would give); a miss decodes and stores. A column whose values rarely repeat (ids,
/// phones) stops using the table after a first sample of rows, so it costs nothing there. Values longer than
/// `maxBytes` are never cached. Held behind a pointer so the hot path has no reference counting or dynamic
/// exclusivity checks; owned by its `MappedCSV`.
struct TextInterner {
    struct Entry {
        /// The first and last (up to) 8 bytes of the value, zero-padded; with `count` they identify a value of
        /// at most 16 bytes, and pre-filter longer ones.
        var head: UInt64
        var tail: UInt64
        var count: Int
        var text: String
    }

    struct ColumnStats {
        var lookups = 0
        var hits = 0
        var enabled = true
    }

    static let slotsPerColumn = 64
    static let maxBytes = 64
    /// Lookups after which a column's hit rate is judged, and the hit rate below which it stops caching.
    static let sampleSize = 2048
    static let minimumHits = sampleSize / 2

    let columns: Int
    let entries: UnsafeMutablePointer<Entry>
    let stats: UnsafeMutablePointer<ColumnStats>

    init(columns: Int) {
        self.columns = columns
        entries = .allocate(capacity: max(columns, 1) * Self.slotsPerColumn)
        entries.initialize(
            repeating: Entry(head: 0, tail: 0, count: -1, text: ""), count: max(columns, 1) * Self.slotsPerColumn)
        stats = .allocate(capacity: max(columns, 1))
        stats.initialize(repeating: ColumnStats(), count: max(columns, 1))
    }

    func release() {
        entries.deinitialize(count: max(columns, 1) * Self.slotsPerColumn)
        entries.deallocate()
        stats.deinitialize(count: max(columns, 1))
        stats.deallocate()
    }

    /// The field's text (non-empty bytes of a row without problems), from the cache when it was seen recently.
    @inline(__always)
    static func text(
        _ interner: UnsafeMutablePointer<TextInterner>, column: Int, _ b: UnsafeRawBufferPointer,
        _ encoding: TextEncoding
    ) -> String {
        let n = b.count
        let stats = interner.pointee.stats + column
        guard column < interner.pointee.columns, stats.pointee.enabled, n <= maxBytes else {
            return CSVRow.decode(b, encoding)
        }
        let p = b.baseAddress!
        let head: UInt64
        let tail: UInt64
        if n >= 8 {
            head = p.loadUnaligned(as: UInt64.self)
            tail = p.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            let lo = UInt64(p.loadUnaligned(as: UInt32.self))
            let hi = UInt64(p.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))
            head = lo | (hi &<< UInt64(8 &* (n &- 4)))
            tail = 0
        } else {
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(p.load(fromByteOffset: i, as: UInt8.self)) &<< UInt64(8 &* i) }
            head = v
            tail = 0
        }
        let hash = (head ^ (tail &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(n)) &* 0xBF58_476D_1CE4_E5B9
        let slot = interner.pointee.entries + (column &* slotsPerColumn &+ Int(truncatingIfNeeded: hash >> 58))
        stats.pointee.lookups &+= 1
        if slot.pointee.count == n, slot.pointee.head == head, slot.pointee.tail == tail,
            n <= 16
                || slot.pointee.text.utf8.withContiguousStorageIfAvailable({ memcmp($0.baseAddress!, p, n) == 0 })
                    == true
        {
            stats.pointee.hits &+= 1
            return slot.pointee.text
        }
        if stats.pointee.lookups == sampleSize, stats.pointee.hits < minimumHits { stats.pointee.enabled = false }
        // The text is a function of the bytes, so any key that identifies them may find it again: values up to
        // 16 bytes are identified by head, tail and count; longer ones are compared with the stored text's
        // bytes, which match only when decoding changed nothing.
        let text = CSVRow.decode(b, encoding)
        slot.pointee = Entry(head: head, tail: tail, count: n, text: text)
        return text
    }
}
