import Foundation
import LastMileCore

extension AbsenteeismList {
    /// The file name of the HTML template in a templates directory (`pipelines/templates/`).
    public static let htmlTemplateName = "absenteeism.html"

    /// The names a list template can use; `docs/reports.md` describes each.
    public var templateContext: TemplateContext {
        let s = summary
        func rowsContext(_ rows: [AbsenteeismRow]) -> TemplateValue { .list(rows.map(\.templateContext)) }
        return [
            "practice_name": .text(practiceName),
            "practice_id": .text(practiceId),
            "week_of": .text(weekOf.description),
            "week_of_long": .text(weekOf.longDescription),
            "count_listed": .text(String(rows.count)),
            "count_chronic": .text(String(s.chronic)),
            "count_severe": .text(String(s.severe)),
            "count_moderate": .text(String(s.moderate)),
            "count_at_risk": .text(String(s.atRisk)),
            "count_new": .text(String(s.new)),
            "count_worse": .text(String(s.worse)),
            "has_rows": .flag(!rows.isEmpty),
            "data_sources": .list(dataFreshness.map(\.templateContext)),
            "has_stale_sources": .flag(!staleSources.isEmpty),
            "stale_sources": .list(staleSources.map(\.templateContext)),
            "data_through_all": .text(dataThroughAll),
            "print_header_css": .text(cssStringContent(printHeader)),
            "rows": rowsContext(rows),
            "chronic_rows": rowsContext(rows.filter { $0.tier.isChronic }),
            "at_risk_rows": rowsContext(rows.filter { $0.tier == .atRisk }),
        ]
    }

    /// Every source's data date on one line: "2026-11-20 (riverside-usd), 2026-11-19 (lakeside-edfi)".
    public var dataThroughAll: String { dataFreshness.map(\.csvCell).joined(separator: ", ") }

    /// The line every printed page carries at its top: practice, week, data date, "Confidential".
    public var printHeader: String {
        var parts = ["\(practiceName) (\(practiceId))", "week of \(weekOf)"]
        if !dataFreshness.isEmpty { parts.append("attendance data through \(dataThroughAll)") }
        return (parts + ["Confidential"]).joined(separator: " · ")
    }

    /// Renders the list through `template` (e.g. one loaded with `HTMLTemplate(directory:)`).
    public func html(using template: HTMLTemplate) throws -> String { try template.render(templateContext) }
}

extension AbsenteeismRow {
    var templateContext: TemplateContext {
        [
            "name": .text(displayName),
            "birth_date": .text(birthDate?.description ?? ""),
            "age": .text(age.map(String.init) ?? ""),
            "practice_patient_id": .text(practicePatientId ?? ""),
            "patient_id": .text(patientId),
            "school": .text(schoolName ?? schoolId),
            "grade": .text(grade ?? ""),
            "days_absent": .text(daysAbsent),
            "days_enrolled": .text(String(daysEnrolled)),
            "rate": .text(ratePercent),
            "tier": .text(tier.label),
            "tier_class": .text(tier.rawValue),
            "change": .text(change.rawValue),
            "change_class": .text(change.rawValue),
            "last_absence": .text(lastAbsence?.description ?? ""),
            "other_flags": .list(otherFlags.map { ["flag_label": .text($0.label), "flag_class": .text($0.rawValue)] }),
            "school_id": .text(schoolId),
            "school_phone": .text(schoolPhone ?? ""),
            "next_step": .text(nextStep ?? ""),
        ].merging(recentContext) { a, _ in a }
    }

    /// The recent-absence names (`illness` is "—" and `illness_known` false when the source is not known to
    /// code illness); empty texts and an empty `trend` list when they were not counted.
    private var recentContext: TemplateContext {
        guard let recent = recentAbsences else {
            return [
                "has_recent": .flag(false), "absent_30_days": .text(""), "excused": .text(""),
                "unexcused": .text(""), "illness": .text(""), "illness_known": .flag(false), "trend": .list([]),
                "trend_text": .text(""),
            ]
        }
        let points = recent.sparklinePoints
        let last = points.last ?? (x: 0, y: 0)
        let trend: TemplateContext = [
            "label": .text(recent.trendDescription), "points": .text(Sparkline.points(points)),
            "last_x": .text(Sparkline.number(last.x)), "last_y": .text(Sparkline.number(last.y)),
            "width": .text(Sparkline.number(Sparkline.width)), "height": .text(Sparkline.number(Sparkline.height)),
            "base_y": .text(Sparkline.number(Sparkline.height - Sparkline.inset)),
        ]
        return [
            "has_recent": .flag(true), "absent_30_days": .text(String(recent.last30Days)),
            "excused": .text(String(recent.excused)), "unexcused": .text(String(recent.unexcused)),
            "illness": .text(recent.illnessText), "illness_known": .flag(recent.illness != nil),
            "trend": .list([trend]), "trend_text": .text(recent.trendText),
        ]
    }
}

extension SourceFreshness {
    var templateContext: TemplateContext {
        [
            "source": .text(source),
            "data_through": .text(dataThrough?.description ?? ""),
            "data_through_long": .text(dataThrough?.longDescription ?? ""),
            "days_old": .text(daysOld.map(String.init) ?? ""),
            "stale": .flag(isStale),
            "warning": .text(warning),
        ]
    }
}

extension CivilDate {
    /// `23 November 2026`.
    var longDescription: String {
        let months = [
            "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
            "November", "December",
        ]
        return "\(day) \(months[month - 1]) \(year)"
    }
}

extension HTMLTemplate {
    /// Loads `name` from a templates directory (e.g. `pipelines/templates`).
    /// - Throws: `ReportError.templateUnreadable` when the file cannot be read as UTF-8; `TemplateError`.
    public init(directory: URL, name: String) throws {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8)
        else { throw ReportError.templateUnreadable(file: name) }
        try self.init(name: name, text: text)
    }
}
