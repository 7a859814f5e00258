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
        out += "<title>\(HTML.escape(title))</title><style>\(SVGChart.css)</style></head><body>\n"
        out += "<h1>\(HTML.escape(title))</h1>\n"
        for profile in profiles { out += section(profile) }
        out += "<footer>Counts, shares, date formats, configured names and short codes only; "
        out += "no value that could be personal is shown.</footer>\n</body></html>\n"
        return out
    }

    private static func section(_ p: FeedProfile) -> String {
        var out = "<section><h2>\(HTML.escape(p.file))</h2>\n"
        out += "<p>Source <b>\(HTML.escape(p.source))</b>, extractor \(HTML.escape(p.extractor)), "
        out += "\(HTML.escape(p.layout)) layout.</p>\n"
        out += cards(p) + drift(p)
        if let a = p.attendance {
            out += "<h3>Attendance codes by meaning</h3>\n"
            let bars =
                a.byStatus.map { SVGChart.Bar(label: $0.status, value: Double($0.rows), text: String($0.rows)) }
                + [
                    SVGChart.Bar(
                        label: "unmapped", value: Double(a.unmapped), text: String(a.unmapped), style: "unmapped")
                ]
            out += SVGChart.bars(bars, label: "Attendance codes by meaning")
        }
        let details = p.columns.map(codes) + p.columns.map(dates)
        out += "<div class=\"grid\">" + details.filter { !$0.isEmpty }.map { "<div>\($0)</div>" }.joined() + "</div>\n"
        if p.rowsPerDay.count > 1 {
            out +=
                "<h3>Rows per day</h3>\n"
                + SVGChart.line(p.rowsPerDay.map { ($0.date, $0.rows) }, label: "Rows per day of \(p.file)")
        }
        out += "<h3>Fill rate per column</h3>\n"
        out += SVGChart.bars(
            p.columns.map { c in
                SVGChart.Bar(
                    label: "\(c.position) \(c.label)", value: c.fillRate, text: percent(c.fillRate),
                    style: c.role == .undeclared ? "muted" : "bar")
            }, label: "Fill rate per column of \(p.file)", maximum: 1)
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
            let verdict = a.absenceOnly ? "yes" : a.absenceOnlyVerdict.hasPrefix("no") ? "no" : "not known"
            cards.append(card("absence-only?", verdict, warn: verdict != "no"))
            cards.append(card("unmapped codes (rows)", String(a.unmapped), warn: a.unmapped > 0))
        }
        return "<div class=\"cards\">" + cards.joined() + "</div>\n"
    }

    private static func card(_ label: String, _ value: String, warn: Bool = false) -> String {
        SVGChart.card(label, value, warn: warn)
    }

    private static func percent(_ share: Double) -> String { SVGChart.percent(share) }

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
            + SVGChart.bars(
                codes.map { code in
                    let meaning = code.mapped.map { $0 ? " → \(code.value ?? "")" : " UNMAPPED" } ?? ""
                    return SVGChart.Bar(
                        label: code.display + meaning, value: Double(code.count), text: String(code.count),
                        style: code.mapped == false ? "unmapped" : "bar")
                }, label: "Codes of \(c.label)", compact: true)
    }

    private static func dates(_ c: ColumnProfile) -> String {
        guard let d = c.dates else { return "" }
        var out = "<h3>Date formats of \(HTML.escape(c.label))</h3>\n<p>Order: <b"
        out += [.ambiguous, .mixed].contains(d.order) ? " class=\"warn\"" : ""
        out += ">\(HTML.escape(d.order.rawValue))</b>; \(d.unparsed) value(s) no format parses.</p>\n"
        return out
            + SVGChart.bars(
                d.formats.map {
                    SVGChart.Bar(
                        label: $0.format + ($0.configured ? " (configured)" : ""), value: $0.share,
                        text: percent($0.share), style: $0.configured ? "configured" : "bar")
                }, label: "Date formats of \(c.label)", maximum: 1, compact: true)
    }
}
