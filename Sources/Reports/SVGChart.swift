import Foundation

/// Small inline-SVG charts for lastmile's self-contained HTML pages (`profile --html`, `runs --html`): no script,
/// no external asset. Each chart is an `<svg role="img">` with an `aria-label` summing it up and a `<title>`;
/// every label is HTML-escaped. Pages give the CSS classes named by `style` (`bar`, `warn`, `muted`, …).
enum SVGChart {
    /// One bar: its label, value, the text shown beside it and its CSS class.
    struct Bar {
        var label: String
        var value: Double
        var text: String
        var style = "bar"
    }

    /// The CSS every page with charts shares.
    static let css = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2933;max-width:1100px}
        h1{font-size:20px}h2{font-size:17px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:28px}
        h3{font-size:14px;margin:18px 0 4px}.cards{display:flex;flex-wrap:wrap;gap:10px}
        .card{border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;min-width:150px}
        .card b{display:block;font-size:18px}.warn{color:#b42318}.ok{color:#067647}
        svg text{font:12px system-ui,sans-serif;fill:#1f2933}.bar{fill:#4e79a7}.unmapped{fill:#e15759}
        .configured{fill:#59a14f}.muted{fill:#9aa5b1}.line{fill:none;stroke:#4e79a7;stroke-width:2}
        ul{margin:4px 0}.grid{display:flex;flex-wrap:wrap;gap:0 36px}.grid p{margin:2px 0}footer{margin-top:32px;color:#52606d;font-size:12px}
        """

    /// The opening tag of a chart, with its accessible name.
    static func open(width: Int, height: Int, label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\" "
            + "aria-label=\"\(HTML.escape(label))\"><title>\(HTML.escape(label))</title>"
    }

    /// Horizontal bars, one row each, label on the left and the value's text on the right.
    static func bars(_ bars: [Bar], label: String, maximum: Double? = nil, compact: Bool = false) -> String {
        let labelWidth = compact ? 190.0 : 230.0
        let barWidth = compact ? 230.0 : 520.0
        let rowHeight = 20.0
        let top = max(maximum ?? 0, bars.map(\.value).max() ?? 0)
        let height = rowHeight * Double(bars.count) + 4
        var out = open(width: Int(labelWidth + barWidth + 90), height: Int(height), label: label)
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

    /// A line over labelled points (e.g. rows per day), with the first and last label and the highest value.
    static func line(_ points: [(label: String, value: Int)], label: String) -> String {
        let width = 760.0
        let height = 160.0
        let left = 50.0
        let bottom = 24.0
        let top = 10.0
        let highest = Double(points.map(\.value).max() ?? 1)
        let step = (width - left - 10) / Double(max(points.count - 1, 1))
        let coordinates = points.enumerated().map { i, point in
            let x = left + Double(i) * step
            let y = top + (height - top - bottom) * (1 - Double(point.value) / max(highest, 1))
            return String(format: "%.1f,%.1f", x, y)
        }
        var out = open(width: Int(width), height: Int(height), label: label)
        out += "<polyline class=\"line\" points=\"\(coordinates.joined(separator: " "))\"/>"
        out += "<line x1=\"\(Int(left))\" y1=\"\(Int(height - bottom))\" x2=\"\(Int(width - 10))\" "
        out += "y2=\"\(Int(height - bottom))\" stroke=\"#9aa5b1\"/>"
        out += "<text x=\"\(Int(left - 6))\" y=\"\(Int(top + 10))\" text-anchor=\"end\">\(Int(highest))</text>"
        out += "<text x=\"\(Int(left - 6))\" y=\"\(Int(height - bottom))\" text-anchor=\"end\">0</text>"
        if let first = points.first, let last = points.last {
            out += "<text x=\"\(Int(left))\" y=\"\(Int(height - 6))\">\(HTML.escape(first.label))</text>"
            out += "<text x=\"\(Int(width - 10))\" y=\"\(Int(height - 6))\" text-anchor=\"end\">"
            out += "\(HTML.escape(last.label))</text>"
        }
        return out + "</svg>\n"
    }

    /// Vertical columns, one per label (e.g. a night), each with its value above and its label below.
    static func columns(_ bars: [Bar], label: String, height: Double = 120) -> String {
        let columnWidth = 56.0
        let gap = 10.0
        let bottom = 20.0
        let top = 16.0
        let highest = bars.map(\.value).max() ?? 0
        let width = Double(bars.count) * (columnWidth + gap) + gap
        var out = open(width: Int(width), height: Int(height), label: label)
        for (i, bar) in bars.enumerated() {
            let x = gap + Double(i) * (columnWidth + gap)
            let full = height - top - bottom
            // A zero still shows as a sliver, so a quiet night's (red) column is seen.
            let h = highest > 0 && bar.value > 0 ? max(bar.value / highest * full, 1) : 3
            let y = height - bottom - h
            out += "<rect class=\"\(bar.style)\" x=\"\(Int(x))\" y=\"\(String(format: "%.1f", y))\" "
            out += "width=\"\(Int(columnWidth))\" height=\"\(String(format: "%.1f", h))\"/>"
            out += "<text x=\"\(Int(x + columnWidth / 2))\" y=\"\(String(format: "%.1f", y - 3))\" "
            out += "text-anchor=\"middle\">\(HTML.escape(bar.text))</text>"
            out += "<text x=\"\(Int(x + columnWidth / 2))\" y=\"\(Int(height - 5))\" text-anchor=\"middle\">"
            out += "\(HTML.escape(clipped(bar.label, 9)))</text>"
        }
        return out + "</svg>\n"
    }

    /// One row per label, each a bar split into parts whose widths are their shares of the row's total.
    static func stacked(_ rows: [(label: String, parts: [Bar])], label: String) -> String {
        let labelWidth = 96.0
        let barWidth = 520.0
        let rowHeight = 22.0
        var out = open(
            width: Int(labelWidth + barWidth + 10), height: Int(rowHeight * Double(rows.count) + 4), label: label)
        for (i, row) in rows.enumerated() {
            let y = Double(i) * rowHeight + 2
            out += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y + 15))\" text-anchor=\"end\">"
            out += "\(HTML.escape(row.label))</text>"
            let total = row.parts.map(\.value).reduce(0, +)
            var x = labelWidth
            for part in row.parts where total > 0 && part.value > 0 {
                let w = part.value / total * barWidth
                out += "<rect class=\"\(part.style)\" x=\"\(String(format: "%.1f", x))\" y=\"\(Int(y + 3))\" "
                out += "width=\"\(String(format: "%.1f", w))\" height=\"\(Int(rowHeight - 6))\">"
                out += "<title>\(HTML.escape("\(part.label): \(part.text)"))</title></rect>"
                if w > 40 {
                    out += "<text x=\"\(String(format: "%.1f", x + 4))\" y=\"\(Int(y + 15))\" class=\"inbar\">"
                    out += "\(HTML.escape(part.text))</text>"
                }
                x += w
            }
            if total == 0 { out += "<text x=\"\(Int(labelWidth))\" y=\"\(Int(y + 15))\">no rows</text>" }
        }
        return out + "</svg>\n"
    }

    /// A labelled figure in a box; `warn` shows it in the warning colour.
    static func card(_ label: String, _ value: String, warn: Bool = false) -> String {
        "<div class=\"card\">\(HTML.escape(label))<b\(warn ? " class=\"warn\"" : "")>\(HTML.escape(value))</b></div>"
    }

    static func clipped(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    /// `99.9%`.
    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }
}
