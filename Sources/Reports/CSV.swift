/// RFC 4180 CSV for spreadsheets, with cells that a spreadsheet would run as a formula neutralised.
public enum CSV {
    /// The UTF-8 byte order mark, so Excel reads the file as UTF-8.
    public static let byteOrderMark = "\u{FEFF}"

    /// Characters that make a spreadsheet treat a cell as a formula when they start it (OWASP CSV injection),
    /// including the full-width forms some spreadsheets also accept.
    static let formulaStarts: Set<Character> = [
        "=", "+", "-", "@", "\t", "\r", "\r\n", "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}",
    ]

    /// One cell: prefixed with `'` when it could start a formula, quoted when it holds `,` `"` CR or LF;
    /// directional overrides are written out (`visibleDirectionalOverrides`).
    public static func cell(_ value: String) -> String {
        var v = visibleDirectionalOverrides(value)
        if let first = v.first, formulaStarts.contains(first) { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
            var quoted = "\""
            for c in v { quoted += c == "\"" ? "\"\"" : String(c) }
            return quoted + "\""
        }
        return v
    }

    /// One record, ending with CRLF.
    public static func line(_ cells: [String]) -> String { cells.map(cell).joined(separator: ",") + "\r\n" }
}

extension AbsenteeismList {
    /// The CSV header, in column order.
    public static let csvHeader = [
        "Patient", "Birth date", "Age", "Practice patient ID", "HIE patient ID", "School", "Grade", "Days absent",
        "Days enrolled", "Absence rate", "Tier", "Change since last week", "Last absence", "Other active flags",
        // Issue 18: added after the first fourteen, so a spreadsheet reading those by position still works.
        "School ID", "School liaison phone", "Absent last 30 days", "Excused absences", "Unexcused absences",
        "Absent days per week (8 weeks, oldest first)", "Suggested next step",
        "Attendance data through", "Absent ill",
    ]

    /// The list as a CSV file: BOM, header, one warning row per stale source (its first cell the warning),
    /// then one row per patient — or a single "No patients this week" row. "Attendance data through" is the
    /// date of the row's source's newest attendance data (every source's, on the empty row); "Absent ill" is
    /// "—" when the row's source is not known to code illness (issue 18).
    public func csv() -> String {
        var out = CSV.byteOrderMark + CSV.line(AbsenteeismList.csvHeader)
        let header = AbsenteeismList.csvHeader
        let throughColumn = header.firstIndex(of: "Attendance data through") ?? header.count - 1
        func note(_ first: String, through: String) -> [String] {
            var cells = Array(repeating: "", count: header.count)
            cells[0] = first
            cells[throughColumn] = through
            return cells
        }
        for stale in staleSources { out += CSV.line(note(stale.warning, through: stale.csvCell)) }
        if rows.isEmpty {
            out += CSV.line(
                note("No patients this week", through: dataFreshness.map(\.csvCell).joined(separator: "; ")))
        }
        let through = Dictionary(dataFreshness.map { ($0.source, $0.csvCell) }, uniquingKeysWith: { a, _ in a })
        for r in rows {
            out += CSV.line([
                r.displayName, r.birthDate?.description ?? "", r.age.map(String.init) ?? "", r.practicePatientId ?? "",
                r.patientId, r.schoolName ?? r.schoolId, r.grade ?? "", r.daysAbsent, String(r.daysEnrolled),
                r.ratePercent, r.tier.label, r.change.rawValue, r.lastAbsence?.description ?? "",
                r.otherFlags.map(\.label).joined(separator: "; "), r.schoolId, r.schoolPhone ?? "",
                r.recentAbsences.map { String($0.last30Days) } ?? "", r.recentAbsences.map { String($0.excused) } ?? "",
                r.recentAbsences.map { String($0.unexcused) } ?? "", r.recentAbsences?.trendText ?? "",
                r.nextStep ?? "", through[r.source] ?? "", r.recentAbsences?.illnessText ?? "",
            ])
        }
        return out
    }
}
