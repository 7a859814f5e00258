import Foundation
import LastMileCore

extension FeedProfile {
    static func perDay(min: Int, max: Int) -> String {
        min == max ? "\(min) rows a day" : "\(min)–\(max) rows a day"
    }

    /// The profile as console text: counts, shares, formats, configured names and short codes only.
    public var text: String {
        let origin = source == extractor ? "no source config" : "source \(source)"
        var lines = ["\(file): \(origin), extractor \(extractor), \(layout) layout"]
        lines.append("  rows: \(rows)" + (unreadableRows > 0 ? " (\(unreadableRows) unreadable)" : "") + previousText)
        lines += driftLines
        if let k = personKey {
            var line = "  person key \(k.column): \(k.distinct) distinct in \(k.rowsWithKey) rows; "
            line += "\(k.repeatedKeys) on more than one row (\(k.rowsWithRepeatedKey) rows)"
            if let both = k.rowsWithRepeatedKeyAndDate { line += "; \(both) rows repeat the same key and day" }
            lines.append(line)
        }
        if let a = attendance {
            let mix = a.byStatus.map { "\($0.rows) \($0.status)" } + ["\(a.unmapped) unmapped", "\(a.empty) empty"]
            lines.append("  attendance: " + mix.joined(separator: ", "))
            lines.append("  absence-only: " + a.absenceOnlyVerdict)
        }
        if let first = rowsPerDay.first, let last = rowsPerDay.last {
            let counts = rowsPerDay.map(\.rows)
            lines.append(
                "  days: \(rowsPerDay.count) from \(first.date) to \(last.date), "
                    + Self.perDay(min: counts.min() ?? 0, max: counts.max() ?? 0))
        }
        lines.append("  columns (position, name, role, filled):")
        for c in columns { lines.append(columnLine(c)) }
        for c in columns { lines += codeLines(c) }
        for c in columns { lines += dateLines(c) }
        return lines.joined(separator: "\n") + "\n"
    }

    private var previousText: String {
        guard let p = previous else { return "; no previous file of the source" }
        let sign = p.change > 0 ? "+" : ""
        return "; previous file \(p.file): \(p.rows) rows (\(sign)\(p.change), \(sign)\(percent(p.changeRate)))"
    }

    private var driftLines: [String] {
        var lines = ["  header: \(headerFields) fields; " + (drift.isEmpty ? "no drift against the config" : "drift:")]
        if let d = likelyDelimiter {
            lines.append(
                "    the header splits into \(d.fields) \(d.name)-separated fields: set csv.delimiter: \(d.name) in the "
                    + "source config (`lastmile source init` detects it)")
        }
        for m in drift.missing {
            lines.append("    missing \(m.required ? "required" : "optional") column \(m.name) (header \(m.header))")
        }
        if !drift.undeclaredPositions.isEmpty {
            let positions = drift.undeclaredPositions.map(String.init).joined(separator: ", ")
            lines.append(
                "    \(drift.undeclaredPositions.count) column(s) not in the config, at position(s) \(positions)")
        }
        return lines
    }

    private func columnLine(_ c: ColumnProfile) -> String {
        let position = String(c.position).leftPadded(4)
        let name = c.label.padded(20)
        let role = c.role.rawValue.padded(11)
        var line = "  \(position) \(name) \(role) \(percent(c.fillRate).leftPadded(6)) (\(c.filled))"
        if let lo = c.minLength, let hi = c.maxLength { line += ", length \(lo == hi ? "\(lo)" : "\(lo)–\(hi)")" }
        line += c.distinct.map { ", \($0) distinct" } ?? ", over \(FeedProfiler.distinctLimit) distinct"
        return line
    }

    private func codeLines(_ c: ColumnProfile) -> [String] {
        guard let codes = c.codes, !codes.isEmpty else { return [] }
        var lines = ["  codes of \(c.label)" + (c.unmapped.map { " (\($0) row(s) unmapped)" } ?? "") + ":"]
        // A value not shown says only its length: one line per length, with how many values it stands for.
        var entries: [CodeLine] = []
        var lineOfLength: [Int: Int] = [:]
        for code in codes {
            guard code.code == nil, code.mapped == nil else {
                entries.append(CodeLine(code: code))
                continue
            }
            if let index = lineOfLength[code.length] {
                entries[index].values += 1
                entries[index].rows += code.count
                continue
            }
            lineOfLength[code.length] = entries.count
            entries.append(CodeLine(code: code))
        }
        return lines + entries.map(\.text)
    }

    private func dateLines(_ c: ColumnProfile) -> [String] {
        guard let d = c.dates else { return [] }
        var lines = ["  dates of \(c.label): order \(d.order.rawValue), \(d.unparsed) unparsed"]
        for f in d.formats {
            lines.append(
                "    \(f.format.padded(12)) \(percent(f.share).leftPadded(6)) (\(f.parsed))"
                    + (f.configured ? "  configured" : ""))
        }
        return lines
    }
}

/// One line under "codes of": a code, or the values of one length that are not shown.
private struct CodeLine {
    let code: CodeCount
    var values = 1
    var rows: Int

    init(code: CodeCount) {
        self.code = code
        rows = code.count
    }

    var text: String {
        let characters = "character\(code.length == 1 ? "" : "s")"
        let label = values == 1 ? code.display : "\(values) values of \(code.length) \(characters)"
        var line = "    \(label.padded(24)) \(String(rows).leftPadded(7))"
        if let mapped = code.mapped { line += mapped ? "  → \(code.value ?? "")" : "  UNMAPPED" }
        return line
    }
}

/// `99.9%`.
func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
