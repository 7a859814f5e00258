import LastMileCore

extension FeedProfiler {
    /// What is counted of one column while rows are read.
    struct Column {
        let position: Int
        let name: String?
        let header: String?
        let role: ColumnProfile.Role
        let codeMap: CodeLookup?
        let formatNames: [String]
        let configuredFormats: Int
        private let formats: [DateFormat]
        private var filled = 0
        private var minLength = Int.max
        private var maxLength = 0
        private var counts: [String: Int] = [:]
        private var tooManyValues = false
        private var unmapped = 0
        private var parsed: [Int]
        private var unparsed = 0
        private var order = DateOrderTally()

        init(undeclaredAt index: Int) {
            position = index + 1
            name = nil
            header = nil
            role = .undeclared
            codeMap = nil
            formatNames = FeedProfiler.standardDateFormats
            configuredFormats = 0
            formats = formatNames.compactMap(DateFormat.init)
            parsed = Array(repeating: 0, count: formats.count)
        }

        init(spec: ColumnSpec, position index: Int, config: SourceConfig) {
            position = index + 1
            name = spec.name
            header = config.columns[spec.name]?.header ?? spec.header
            var map: CodeLookup?
            switch spec.kind {
            case .code(let values, let defaults, let namespaced):
                role = .code
                map = CodeLookup(
                    values: values, entries: defaults.merging(config.codes[spec.name] ?? [:]) { $1 },
                    namespaced: namespaced)
            case .yesNo: role = .code
            case .date, .dateTime: role = .date
            case .integer: role = .other
            case .text:
                role = Self.textRole(spec.name)
            }
            codeMap = map
            let configured = role == .date ? FeedProfiler.configuredFormats(of: spec, config: config) : []
            formatNames = role == .date ? FeedProfiler.formats(for: spec, config: config) : []
            configuredFormats = configured.count
            formats = formatNames.compactMap(DateFormat.init)
            parsed = Array(repeating: 0, count: formats.count)
        }

        /// A text column's role: personal unless the profiler knows it describes the event.
        private static func textRole(_ name: String) -> ColumnProfile.Role {
            if FeedProfiler.personKeyNames.contains(name) { return .personKey }
            if FeedProfiler.descriptiveNames.contains(name) { return .code }
            if FeedProfiler.otherNames.contains(name) { return .other }
            return .personal
        }

        /// Counts one value (nil when empty).
        mutating func add(_ value: String?) {
            guard let value else { return }
            filled += 1
            let length = value.count
            minLength = min(minLength, length)
            maxLength = max(maxLength, length)
            if counts[value] != nil {
                counts[value]! += 1
            } else if counts.count < FeedProfiler.distinctLimit {
                counts[value] = 1
            } else {
                tooManyValues = true
            }
            if let codeMap, codeMap.value(of: value) == nil { unmapped += 1 }
            guard !formats.isEmpty else { return }
            var any = false
            for (i, format) in formats.enumerated() where DateParsing.parse(value, [format]) != nil {
                parsed[i] += 1
                any = true
            }
            if !any { unparsed += 1 }
            order.add(value)
        }

        /// The column's profile over `readableRows` rows.
        func profile(readableRows: Int) -> ColumnProfile {
            var p = ColumnProfile(
                position: position, name: name, header: header, role: role, filled: filled,
                fillRate: readableRows == 0 ? 0 : rounded(Double(filled) / Double(readableRows)),
                minLength: filled == 0 ? nil : minLength, maxLength: filled == 0 ? nil : maxLength,
                distinct: tooManyValues ? nil : counts.count)
            p.codes = codes()
            p.unmapped = codeMap == nil ? nil : unmapped
            p.dates = dates()
            return p
        }

        /// The values of a code column, most frequent first; undeclared short-valued columns by length only.
        private func codes() -> [CodeCount]? {
            let sorted = counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            switch role {
            case .code:
                return sorted.compactMap { value, count in
                    let key = codeMap?.configuredCode(of: value)
                    // With too many values the column is not holding codes: list only what the map knows.
                    if tooManyValues, key == nil { return nil }
                    return CodeCount(
                        code: key ?? (ShortCode.isShortCode(value) ? value : nil), length: value.count, count: count,
                        mapped: codeMap.map { _ in key != nil }, value: codeMap?.value(of: value))
                }
            case .undeclared:
                guard !tooManyValues, !counts.isEmpty, maxLength <= ShortCode.maxLength else { return nil }
                return sorted.map { CodeCount(code: nil, length: $0.key.count, count: $0.value) }
            default:
                return nil
            }
        }

        private func dates() -> DateProfile? {
            guard !formats.isEmpty, filled > 0 else { return nil }
            let shares = zip(formats, parsed).enumerated().map { i, pair in
                FormatShare(
                    format: pair.0.pattern, configured: i < configuredFormats, parsed: pair.1,
                    share: rounded(Double(pair.1) / Double(filled)))
            }
            if role == .undeclared, (shares.map(\.share).max() ?? 0) < FeedProfiler.undeclaredDateShare { return nil }
            return DateProfile(formats: shares, order: order.verdict, unparsed: unparsed)
        }
    }
}

/// A column's code map as text: source code → lastmile value, ignoring ASCII case and surrounding spaces.
struct CodeLookup {
    private var entries: [String: (code: String, value: String)] = [:]
    let namespaced: Bool

    init(values: [String], entries map: [String: String], namespaced: Bool) {
        self.namespaced = namespaced
        for (code, value) in map where values.contains(value) {
            entries[Self.fold(code.trimmingSpaces)] = (code.trimmingSpaces, value)
        }
    }

    /// The lastmile value of a code found in a file; nil when the map does not know it.
    func value(of found: String) -> String? { entry(found)?.value }

    /// The code as the config (or layout) spells it, for a code found in a file; nil when unknown.
    func configuredCode(of found: String) -> String? { entry(found)?.code }

    private func entry(_ found: String) -> (code: String, value: String)? {
        var text = Substring(found)
        if namespaced, let hash = text.lastIndex(of: "#") { text = text[text.index(after: hash)...] }
        return entries[Self.fold(String(text).trimmingSpaces)]
    }

    private static func fold(_ s: String) -> String { String(decoding: s.utf8.map(CSVRow.lower), as: UTF8.self) }
}

/// Dates from text, for profiling.
enum DateParsing {
    /// The date in the first of `formats` that parses `text` (a time part is dropped).
    static func parse(_ text: String, _ formats: [DateFormat]) -> CivilDate? {
        var text = text
        return text.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            for format in formats {
                if let date = format.hasTime ? format.parseDateTime(bytes)?.date : format.parseDate(bytes) {
                    return date
                }
            }
            return nil
        }
    }
}

/// Counts which part comes first in `nn/nn/YYYY` dates (any of `/`, `-`, `.` between).
struct DateOrderTally {
    private var yearFirst = 0
    private var pairs = 0
    private var firstOver12 = false
    private var secondOver12 = false

    mutating func add(_ value: String) {
        let u = Array(value.utf8.prefix(10))
        func number(_ from: Int) -> (value: Int, end: Int)? {
            var v = 0
            var i = from
            while i < u.count, i - from < 4, u[i] >= 0x30, u[i] <= 0x39 {
                v = v * 10 + Int(u[i] - 0x30)
                i += 1
            }
            return i == from ? nil : (v, i)
        }
        let separators: Set<UInt8> = [0x2F, 0x2D, 0x2E]
        guard let a = number(0) else { return }
        if a.end == 4 || a.end == 8 {
            yearFirst += 1
            return
        }
        guard a.end <= 2, a.end < u.count, separators.contains(u[a.end]), let b = number(a.end + 1), b.end - a.end <= 3,
            b.end < u.count, separators.contains(u[b.end]), let year = number(b.end + 1), year.end - b.end == 5,
            a.value >= 1, b.value >= 1, a.value <= 31, b.value <= 31
        else { return }
        pairs += 1
        if a.value > 12 { firstOver12 = true }
        if b.value > 12 { secondOver12 = true }
    }

    var verdict: DateProfile.Order {
        guard pairs > 0 else { return yearFirst > 0 ? .yearFirst : .unknown }
        switch (firstOver12, secondOver12) {
        case (true, true): return .mixed
        case (true, false): return .dayFirst
        case (false, true): return .monthFirst
        case (false, false): return .ambiguous
        }
    }
}
