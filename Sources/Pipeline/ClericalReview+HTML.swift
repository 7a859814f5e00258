import Foundation
import LastMileCore
import Matching
import Store

extension ClericalReview {
    /// `review export --html`: the open items (optionally of one source or reason) as one self-contained page.
    /// With `viewer`, personal values are shown and the export is recorded in `lastmile.review_access` first.
    package func exportHTML(source: String?, reason: String?, model: FellegiSunterModel, viewer: String?) throws
        -> (html: String, items: Int)
    {
        let items = try queue.items(source: source, reason: reason, openOnly: true)
        if let viewer {
            try queue.logAccess(by: viewer, action: "export", items: items.map(\.id), at: clock.now)
        }
        let comparisons = try compare(items, model: model)
        return (Self.html(comparisons, showPersonalData: viewer != nil, generatedOn: clock.today), items.count)
    }

    /// The page: inline style, no script, no external resource; one card per item, fields aligned in a table,
    /// agreements (positive weight) green and disagreements red.
    package static func html(_ comparisons: [ItemComparison], showPersonalData personal: Bool, generatedOn: CivilDate)
        -> String
    {
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>lastmile review queue</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
            .card{border:1px solid #bbb;border-radius:6px;padding:.8rem 1rem;margin:0 0 1.2rem;page-break-inside:avoid}
            table{border-collapse:collapse;width:100%}
            th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eee;font-size:.9rem}
            td.w{text-align:right;font-variant-numeric:tabular-nums}
            tr.agree td{background:#e6f4ea} tr.disagree td{background:#fdecea}
            .meta{color:#555;font-size:.85rem}
            </style></head><body>

            """
        out += "<h1>Review queue: \(comparisons.count) open item(s)</h1>\n"
        out += "<p class=\"meta\">Generated \(generatedOn). "
        out +=
            personal
            ? "Contains personal data: keep it private and delete it when the review is done.</p>\n"
            : "Personal values masked; re-export with --show-personal-data --by NAME to see them.</p>\n"
        for c in comparisons { out += card(c, personal) }
        out += "</body></html>\n"
        return out
    }

    static func card(_ c: ItemComparison, _ personal: Bool) -> String {
        let item = c.item
        var s = "<section class=\"card\" id=\"item-\(item.id)\">\n"
        s += "<h2>Item \(item.id)</h2>\n<p class=\"meta\">source \(escape(item.source)) · reason "
        s += "\(escape(item.reason)) · \(c.ageDays) day(s) old · probability "
        s += "\(c.candidateProbability.map { String(format: "%.4f", $0) } ?? "-") (runner-up "
        s += "\(c.runnerUpProbability.map { String(format: "%.4f", $0) } ?? "-"))"
        if personal {
            s += " · source person \(escape(item.sourcePersonId)) · candidate \(escape(item.candidate ?? "-"))"
            s += " · runner-up \(escape(item.runnerUp ?? "-"))"
        }
        s += "</p>\n"
        guard c.hasIncoming else { return s + "<p>No record is held for this item.</p>\n</section>\n" }
        s += "<table><thead><tr><th>field</th><th>incoming</th><th>candidate</th><th>level</th><th>weight</th>"
        s += "<th>runner-up</th><th>level</th><th>weight</th></tr></thead><tbody>\n"
        for f in c.fields {
            let kind = (f.weight ?? 0) > 0 ? "agree" : (f.weight ?? 0) < 0 ? "disagree" : "neutral"
            s += "<tr class=\"\(kind)\"><td>\(f.field)</td><td>\(escape(shown(f.incoming, personal)))</td>"
            s += "<td>\(escape(shown(f.candidate, personal)))</td><td>\(escape(f.level ?? "-"))</td>"
            s += "<td class=\"w\">\(weight(f.weight))</td><td>\(escape(shown(f.runnerUp, personal)))</td>"
            s += "<td>\(escape(f.runnerUpLevel ?? "-"))</td><td class=\"w\">\(weight(f.runnerUpWeight))</td></tr>\n"
        }
        return s + "</tbody></table>\n</section>\n"
    }

    /// Text escaped for HTML content and attribute values.
    package static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
