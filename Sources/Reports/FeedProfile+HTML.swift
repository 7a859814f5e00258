import Foundation
import LastMileCore

/// `lastmile profile --html`: one self-contained page (inline CSS and SVG, no external assets) showing each
/// file's profile as small charts. Everything from a file or a config is HTML-escaped; like the profile
/// itself, the page holds counts, shares, formats, configured names and short codes only.
public enum FeedProfilePage {
    /// The page for `profiles` (one section per file).
    public static func html(_ profiles: [FeedProfile]) -> String {
        let title = "Feed profile: " + profiles.map(\.file).joined(separator: ", ")
        var out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        out += "<title>\(HTML.escape(title))</title><style>\(css)</style></head><body>\n"
        out += "<h1>\(HTML.escape(title))</h1>\n"
        for profile in profiles { out += section(profile) }
        out += "<footer>Counts, shares, date formats, configured names and short codes only; "
        out += "no value that could be personal is shown.</footer>\n</body></html>\n"
        return out
    }

    private static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2933;max-width:1100px}
        h1{font-size:20px}h2{font-size:17px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
        h3{font-size:14px;margin:18px 0 4px}.cards{display:flex;flex-wrap:wrap;gap:10px}
        .card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:150px}
        .card b{display:block;font-size:18px}.warn{color:#b42318}.ok{color:#067647}
        svg text{font:12px system-ui,sans-serif;fill:#1f2933}.bar{fill:#4e79a7}.unmapped{fill:#e15759}
        .configured{fill:#59a14f}.muted{fill:#9aa5b1}.line{fill:none;stroke:#4e79a7;stroke-width:2}
        ul{margin:4px 0}.grid{display:flex;flex-wrap:wrap;gap:0 36px}.grid p{margin:2px 0}footer{margin-top:32px;color:#52606d;font-size:12px}
        """

    private static func section(_ p: FeedProfile) -> String {
        var out = "<section><h2>\(HTML.escape(p.file))</h2>\n"
        out += "<p>Source <b>\(HTML.escape(p.source))</b>, extractor \(HTML.escape(p.extractor)), "
        out += "\(HTML.escape(p.layout)) layout.</p>\n"
        out += cards(p) + drift(p)
        if let a = p.attendance {
            out += "<h3>Attendance codes by meaning</h3>\n"
            let bars =
                a.byStatus.map { Bar(label: $0.status, value: Double($0.rows), text: String($0.rows)) }
                + [Bar(label: "unmapped", value: Double(a.unmapped), text: String(a.unmapped), style: "unmapped")]
            out += barChart(bars)
        }
        let details = p.columns.map(codes) + p.columns.map(dates)
        out += "<div class=\"grid\">" + details.filter { !$0.isEmpty }.map { "<div>\($0)</div>" }.joined() + "</div>\n"
        if p.rowsPerDay.count > 1 {
            out += "<h3>Rows per day</h3>\n" + lineChart(p.rowsPerDay)
        }
        out += "<h3>Fill rate per column</h3>\n"
        out += barChart(
            p.columns.map { c in
                Bar(
                    label: "\(c.position) \(c.label)", value: c.fillRate, text: percent(c.fillRate),
                    style: c.role == .undeclared ? "muted" : "bar")
            }, maximum: 1)
        return out + "</section>\n"
    }

    private static func cards(_ p: FeedProfile) -> String {
        var cards = [card("rows", String(p.rows))]
        if p.unreadableRows > 0 { cards.append(card("unreadable rows", String(p.unreadableRows), warn: true)) }
        if let prev = p.previous {
            let sign = prev.change > 0 ? "+" : ""
            cards.append(card("vs \(prev.file)", "\(sign)\(prev.change) (\(sign)\(percent(prev.changeRate)))"))
        } else {
            cards.append(card("previous file", "none"))
        }
        cards.append(card("header drift", p.drift.isEmpty ? "none" : "yes", warn: !p.drift.isEmpty))
        if let k = p.personKey {
            cards.append(card("\(k.column): distinct", String(k.distinct)))
            if let both = k.rowsWithRepeatedKeyAndDate {
                cards.append(card("same key and day twice", String(both), warn: both > 0))
            }
        }
        if let a = p.attendance {
            cards.append(card("absence-only?", a.absenceOnly ? "yes" : "no", warn: a.absenceOnly))
            cards.append(card("unmapped codes (rows)", String(a.unmapped), warn: a.unmapped > 0))
        }
        return "<div class=\"cards\">" + cards.joined() + "</div>\n"
    }

    private static func card(_ label: String, _ value: String, warn: Bool = false) -> String {
        "<div class=\"card\">\(HTML.escape(label))<b\(warn ? " class=\"warn\"" : "")>\(HTML.escape(value))</b></div>"
    }

    private static func drift(_ p: FeedProfile) -> String {
        guard !p.drift.isEmpty else { return "" }
        var items = p.drift.missing.map { m in
            "<li>missing \(m.required ? "<b class=\"warn\">required</b>" : "optional") column "
                + "\(HTML.escape(m.name)) (header \(HTML.escape(m.header)))</li>"
        }
        if !p.drift.undeclaredPositions.isEmpty {
            let positions = p.drift.undeclaredPositions.map(String.init).joined(separator: ", ")
            items.append(
                "<li>\(p.drift.undeclaredPositions.count) column(s) not in the config, at position(s) \(positions)</li>"
            )
        }
        return "<h3>Header drift</h3><ul>" + items.joined() + "</ul>\n"
    }

    private static func codes(_ c: ColumnProfile) -> String {
        guard let codes = c.codes, !codes.isEmpty else { return "" }
        var out = "<h3>Codes of \(HTML.escape(c.label))"
        if let unmapped = c.unmapped, unmapped > 0 {
            out += " <span class=\"warn\">(\(unmapped) row(s) unmapped)</span>"
        }
        out += "</h3>\n"
        return out
            + barChart(
                codes.map { code in
                    let meaning = code.mapped.map { $0 ? " → \(code.value ?? "")" : " UNMAPPED" } ?? ""
                    return Bar(
                        label: code.display + meaning, value: Double(code.count), text: String(code.count),
                        style: code.mapped == false ? "unmapped" : "bar")
                }, compact: true)
    }

    private static func dates(_ c: ColumnProfile) -> String {
        guard let d = c.dates else { return "" }
        var out = "<h3>Date formats of \(HTML.escape(c.label))</h3>\n<p>Order: <b"
        out += [.ambiguous, .mixed].contains(d.order) ? " class=\"warn\"" : ""
        out += ">\(HTML.escape(d.order.rawValue))</b>; \(d.unparsed) value(s) no format parses.</p>\n"
        return out
            + barChart(
                d.formats.map {
                    Bar(
                        label: $0.format + ($0.configured ? " (configured)" : ""), value: $0.share,
                        text: percent($0.share), style: $0.configured ? "configured" : "bar")
                }, maximum: 1, compact: true)
    }

    // MARK: - Charts

    struct Bar {
        var label: String
        var value: Double
        var text: String
        var style = "bar"
    }

    /// Horizontal bars, one row each, label on the left and the value's text on the right.
    static func barChart(_ bars: [Bar], maximum: Double? = nil, compact: Bool = false) -> String {
        let labelWidth = compact ? 190.0 : 230.0
        let barWidth = compact ? 230.0 : 520.0
        let rowHeight = 20.0
        let top = max(maximum ?? 0, bars.map(\.value).max() ?? 0)
        let height = rowHeight * Double(bars.count) + 4
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + 90))\" "
        out += "height=\"\(Int(height))\" role=\"img\">"
        for (i, bar) in bars.enumerated() {
            let y = Double(i) * rowHeight + 2
            let width = top > 0 ? max(bar.value / top * barWidth, bar.value > 0 ? 1 : 0) : 0
            out += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y + 14))\" text-anchor=\"end\">"
            out += "\(HTML.escape(clipped(bar.label, compact ? 28 : 34)))</text>"
            out += "<rect class=\"\(bar.style)\" x=\"\(Int(labelWidth))\" y=\"\(Int(y + 3))\" "
            out += "width=\"\(String(format: "%.1f", width))\" height=\"\(Int(rowHeight - 6))\"/>"
            out += "<text x=\"\(Int(labelWidth + width + 6))\" y=\"\(Int(y + 14))\">\(HTML.escape(bar.text))</text>"
        }
        return out + "</svg>\n"
    }

    /// A line of rows per day, with the first and last day and the highest count labelled.
    static func lineChart(_ days: [DayCount]) -> String {
        let width = 760.0
        let height = 160.0
        let left = 50.0
        let bottom = 24.0
        let top = 10.0
        let highest = Double(days.map(\.rows).max() ?? 1)
        let step = (width - left - 10) / Double(max(days.count - 1, 1))
        let points = days.enumerated().map { i, day in
            let x = left + Double(i) * step
            let y = top + (height - top - bottom) * (1 - Double(day.rows) / max(highest, 1))
            return String(format: "%.1f,%.1f", x, y)
        }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
        out += "role=\"img\"><polyline class=\"line\" points=\"\(points.joined(separator: " "))\"/>"
        out += "<line x1=\"\(Int(left))\" y1=\"\(Int(height - bottom))\" x2=\"\(Int(width - 10))\" "
        out += "y2=\"\(Int(height - bottom))\" stroke=\"#9aa5b1\"/>"
        out += "<text x=\"\(Int(left - 6))\" y=\"\(Int(top + 10))\" text-anchor=\"end\">\(Int(highest))</text>"
        out += "<text x=\"\(Int(left - 6))\" y=\"\(Int(height - bottom))\" text-anchor=\"end\">0</text>"
        if let first = days.first, let last = days.last {
            out += "<text x=\"\(Int(left))\" y=\"\(Int(height - 6))\">\(HTML.escape(first.date))</text>"
            out += "<text x=\"\(Int(width - 10))\" y=\"\(Int(height - 6))\" text-anchor=\"end\">"
            out += "\(HTML.escape(last.date))</text>"
        }
        return out + "</svg>\n"
    }

    private static func clipped(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    private static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
}
