import LastMileCore

/// Excel's dates: a number of days since the workbook's epoch, the fraction being the time of day.
enum ExcelSerialDate {
    /// The largest serial Excel shows as a date (9999-12-31).
    static let maximum = 2_958_465.0

    /// The date-time of `serial` in the 1900 system (`date1904` false) or the 1904 one. The 1900 system counts
    /// a 29 February 1900 that never was (serial 60), as Lotus 1-2-3 did; serials after it are one day high.
    static func dateTime(_ serial: Double, date1904: Bool) -> CivilDateTime? {
        guard serial.isFinite, serial >= (date1904 ? 0 : 1), serial <= maximum else { return nil }
        var days = Int(serial.rounded(.down))
        var seconds = Int(((serial - Double(days)) * 86_400).rounded())
        if seconds >= 86_400 {
            days += 1
            seconds -= 86_400
        }
        if date1904 { return CivilDateTime(date: epoch1904.adding(days: days), secondOfDay: seconds) }
        guard days != 60 else { return nil }
        let epoch = days < 60 ? epoch1900.adding(days: 1) : epoch1900
        return CivilDateTime(date: epoch.adding(days: days), secondOfDay: seconds)
    }

    /// 1899-12-30: serial 61 is 1900-03-01 counted from it.
    private static let epoch1900 = CivilDate(year: 1899, month: 12, day: 30) ?? CivilDate(dayNumber: 0)
    private static let epoch1904 = CivilDate(year: 1904, month: 1, day: 1) ?? CivilDate(dayNumber: 0)

    /// `YYYY-MM-DD`, or `YYYY-MM-DD HH:mm:ss` when the value has a time of day or `withTime` is set.
    static func text(_ value: CivilDateTime, withTime: Bool) -> String {
        guard withTime || value.secondOfDay != 0 else { return value.date.description }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(value.date) \(two(value.hour)):\(two(value.minute)):\(two(value.second))"
    }
}

extension MappedColumn {
    /// A spreadsheet's date cells arrive as `YYYY-MM-DD[ HH:mm:ss]`, whatever formats the config names for its
    /// CSV flavour; a number in a date column (a date cell without a date style) is read as a serial.
    mutating func acceptSpreadsheetDates() {
        for pattern in ["YYYY-MM-DD", "YYYY-MM-DD HH:mm:ss"] where !formatNames.contains(pattern) {
            if let format = DateFormat(pattern) { formats.append(format) }
        }
        serialDates = true
    }
}

extension MappedRow {
    /// The column's value as an Excel serial date, when the column takes them and the value is a number.
    func serialDate(_ column: MappedColumn) -> CivilDateTime? {
        guard column.serialDates, let text = row.string(column.index), let serial = Double(text) else { return nil }
        return ExcelSerialDate.dateTime(serial, date1904: false)
    }
}
