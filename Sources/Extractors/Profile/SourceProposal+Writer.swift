import LastMileCore

/// Writes the YAML of a `SourceProposal`: keys in the order of a committed source config, a `# TODO:` comment
/// on every choice the file could not make, `FILL-IN` where a value is needed.
struct ProposalWriter {
    let name: String
    let kind: String
    let category: DataCategory
    let layoutName: String?
    let layout: SourceLayout
    let header: [String]
    let matches: [String: HeaderMatcher.Match]
    let profile: FeedProfile
    let dialect: CSVDialect
    let input: InputLocation
    var encodingTODO: String?
    var betterLayout: (name: String, exact: Int, current: Int)?

    private var lines: [String] = []
    private var placeholders = 0
    private var todos = 0
    private static let fill = SourceProposal.placeholder

    init(
        name: String, kind: String, category: DataCategory, layoutName: String?, layout: SourceLayout,
        header: [String], matches: [String: HeaderMatcher.Match], profile: FeedProfile, dialect: CSVDialect,
        input: InputLocation
    ) {
        self.name = name
        self.kind = kind
        self.category = category
        self.layoutName = layoutName
        self.layout = layout
        self.header = header
        self.matches = matches
        self.profile = profile
        self.dialect = dialect
        self.input = input
    }

    mutating func write() -> SourceProposal {
        lines = [
            "# Proposed by `lastmile source init` from one file of the feed (\(profile.rows) rows). Review every line:",
            "# each `# TODO:` is a choice the file could not make, and `lastmile validate` refuses every \(Self.fill)",
            "# until it is replaced (docs/adding-a-source.md).",
            "source: \(name)",
        ]
        todo("description: one line on what the feed holds; owner: who to ask about it")
        lines += ["extractor: \(kind)", "category: \(category.rawValue)"]
        if let layoutName { lines.append("layout: \(layoutName)") }
        if let better = betterLayout {
            todo(
                "the headers fit the \(better.name) layout better (\(better.exact) of its headers, against "
                    + "\(better.current)): run source init again with --layout \(better.name)")
        }
        todo("the id of the data-sharing agreement the feed arrives under; add that agreement to the consent")
        lines.append("#   policy with the privacy officer's review (docs/consent.md)")
        placeholder("agreement: \(Self.fill)")
        lines.append(
            "input: \(quoted(inputGlob))  # TODO: check it matches every nightly file of the feed, and no other")
        todos += 1
        let delimiter = LineShape.name(of: dialect.delimiter)
        let csvLine = "csv: { delimiter: \(delimiter), encoding: \(dialect.encoding.rawValue) }"
        if let encodingTODO {
            lines.append(csvLine + "  # TODO: \(encodingTODO)")
            todos += 1
        } else {
            lines.append(csvLine)
        }
        if kind == SchoolAttendanceExtractor.kind { attendanceShape() }
        columns()
        codes()
        return SourceProposal(
            yaml: lines.joined(separator: "\n") + "\n", mappedColumns: matches.count, placeholders: placeholders,
            todos: todos)
    }

    // MARK: Sections

    private mutating func attendanceShape() {
        let present = profile.attendance?.byStatus.first { $0.status == AttendanceStatus.present.rawValue }?.rows ?? 0
        if present > 0 {
            lines.append("attendance: positive  # a present code was seen (\(present) rows): a row per enrolled day")
        } else {
            lines.append("attendance: positive")
            todo("no code known to mean present was seen: map the codes below, and if none means present the")
            lines.append("#   feed lists absences only (docs/adding-a-source.md, \"Attendance shape\")")
        }
    }

    private mutating func columns() {
        lines.append("columns:  # lastmile column: this feed's header (case, spaces and _ ignored)")
        var notFound: [String] = []
        for spec in layout.columns {
            guard let match = matches[spec.name] else {
                if spec.required {
                    placeholder("  \(spec.name): \(Self.fill)")
                    todo(
                        "  required, and no header looks like \(spec.name): write its header, or ask the sender to add it",
                        indent: "  ")
                } else {
                    notFound.append(spec.name)
                }
                continue
            }
            var value = quoted(header[match.index])
            var notes: [String] = []
            if spec.isDateLike { value = dateValue(spec, match, &notes) }
            if match.score < 1 { notes.append("TODO: check: the header only resembles \(spec.name)") }
            if !match.alternatives.isEmpty {
                let others = match.alternatives.prefix(3).map { "column \($0 + 1)" }
                notes.append("also like: " + others.joined(separator: ", "))
            }
            todos += notes.filter { $0.hasPrefix("TODO:") }.count
            placeholders += value.contains(Self.fill) ? 1 : 0
            lines.append("  \(spec.name): \(value)" + (notes.isEmpty ? "" : "  # " + notes.joined(separator: "; ")))
        }
        if !notFound.isEmpty { lines += wrapped("  # not found (optional):", notFound) }
        let used = Set(matches.values.map(\.index))
        let unread = header.indices.filter { !used.contains($0) }
        if !unread.isEmpty {
            // By position only: a cell no column reads may be data (a file whose first line is a record).
            lines += wrapped(
                "  # header cells no column reads (by position; see the file's header line):",
                unread.map { "\($0 + 1)" })
        }
    }

    /// `{ header: "…", formats: [...] }` with the formats that parse the column's values.
    private func dateValue(_ spec: ColumnSpec, _ match: HeaderMatcher.Match, _ notes: inout [String]) -> String {
        let head = "{ header: \(quoted(header[match.index])), formats: ["
        guard let dates = profile.columns[match.index].dates else {
            notes.append("TODO: the file has no values here to choose a format from; the layout's are proposed")
            return head
                + FeedProfiler.configuredFormats(of: spec, config: .defaults(for: kind)).map(quoted)
                .joined(separator: ", ") + "] }"
        }
        let choice = DateFormatChoice(dates, filled: profile.columns[match.index].filled)
        if let todo = choice.todo { notes.append("TODO: " + todo) }
        return head + (choice.formats.isEmpty ? [Self.fill] : choice.formats.map(quoted)).joined(separator: ", ")
            + "] }"
    }

    private mutating func codes() {
        let codeColumns = layout.columns.compactMap { spec -> (ColumnSpec, [String], Int)? in
            guard case .code(let values, _, _) = spec.kind, let match = matches[spec.name] else { return nil }
            return (spec, values, match.index)
        }
        defer { unmatchedCodes(blockWritten: !codeColumns.isEmpty) }
        guard !codeColumns.isEmpty else { return }
        lines.append("codes:  # this feed's code: lastmile value (merged over the layout's own map)")
        for (spec, values, index) in codeColumns {
            let column = profile.columns[index]
            lines.append("  \(spec.name):")
            guard let codes = column.codes, column.distinct != nil else {
                lines.append("    {}")
                todo(
                    "over \(FeedProfiler.distinctLimit) distinct values: check this column holds codes", indent: "    ")
                continue
            }
            let shown = codes.filter { $0.code != nil }
            for code in shown {
                guard let key = code.code else { continue }
                if code.mapped == true, let value = code.value {
                    lines.append("    \(quoted(key)): \(value)  # \(code.count) row(s); the layout's meaning")
                } else {
                    placeholder(
                        "    \(quoted(key)): \(Self.fill)  # TODO: \(code.count) row(s); one of \(values.joined(separator: ", "))"
                    )
                    todos += 1
                }
            }
            if shown.isEmpty { lines.append("    {}") }
            let hidden = codes.count - shown.count
            if hidden > 0 {
                todo("\(hidden) other value(s) are not short codes and are not shown: map them by hand", indent: "    ")
            }
        }
    }

    /// A required code column no header looks like: a commented codes entry saying what to write once the
    /// column is named (or built by a concat transform), since its codes may be ones the layout does not know.
    private mutating func unmatchedCodes(blockWritten: Bool) {
        let missing = layout.columns.filter { spec in
            guard spec.required, matches[spec.name] == nil, case .code = spec.kind else { return false }
            return true
        }
        guard !missing.isEmpty else { return }
        if !blockWritten {
            lines.append("# codes:  # this feed's code: lastmile value (merged over the layout's own map)")
        }
        for spec in missing {
            guard case .code(let values, let defaults, _) = spec.kind else { continue }
            todos += 1
            let uncomment = blockWritten ? "the line below" : "codes: and the line below"
            lines += [
                "  # TODO: no column holds \(spec.name) yet. Once columns.\(spec.name) names it, or a concat",
                "  #   transform builds it, uncomment \(uncomment), and map each code of the feed",
            ]
            lines += wrapped("  #   that the layout does not know to one of", values)
            lines += wrapped("  #   The layout knows:", defaults.keys.sorted())
            lines.append("  # \(spec.name): { \"CODE\": VALUE }")
        }
    }

    // MARK: Helpers

    /// The folder of the file with `*.` and its extension: the file's own name never goes in the config.
    private var inputGlob: String {
        let parts = input.path.split(separator: "/", omittingEmptySubsequences: false)
        let folder = parts.dropLast().joined(separator: "/")
        let ext =
            input.name.split(separator: ".").count > 1 ? input.name.split(separator: ".").last.map(String.init) : nil
        let pattern = "*" + (ext.map { ".\($0)" } ?? "")
        return folder.isEmpty ? pattern : "\(folder)/\(pattern)"
    }

    /// `prefix` and the items, comma-separated, in comment lines of at most 100 characters.
    private func wrapped(_ prefix: String, _ items: [String]) -> [String] {
        var out: [String] = []
        var line = prefix
        for (i, item) in items.enumerated() {
            let piece = " " + item + (i == items.count - 1 ? "" : ",")
            if line.count + piece.count > 100, line != prefix {
                out.append(line)
                line = "  #  "
            }
            line += piece
        }
        return out + [line]
    }

    private mutating func todo(_ text: String, indent: String = "") {
        lines.append(indent + "# TODO: " + text.drop { $0 == " " })
        todos += 1
    }

    private mutating func placeholder(_ line: String) {
        lines.append(line)
        placeholders += 1
    }

    /// A YAML double-quoted string; control characters escaped.
    private func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\x" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16, uppercase: true)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The date formats proposed for a column from its profile: those that parse every value, in the order of
/// the candidates, honouring a day-first or month-first verdict; none (a placeholder) when the order is unknown.
struct DateFormatChoice {
    var formats: [String] = []
    var todo: String?

    init(_ dates: DateProfile, filled: Int) {
        var usable = dates.formats.filter { $0.parsed > 0 }
        switch dates.order {
        case .dayFirst: usable.removeAll { SourceProposal.monthFirst.contains($0.format) }
        case .monthFirst: usable.removeAll { SourceProposal.dayFirst.contains($0.format) }
        default: break
        }
        let ordered = SourceProposal.monthFirst.union(SourceProposal.dayFirst)
        if let all = usable.first(where: { $0.share >= 1 }) {
            if [.ambiguous, .mixed].contains(dates.order), ordered.contains(all.format) {
                todo = orderTODO(dates.order)
                return
            }
            formats = [all.format]
            return
        }
        // No one format reads every value: take the best until they cover the values (at most three).
        // Formats overlap (M/D/YYYY reads every MM/DD/YYYY date): stop once the values some candidate reads
        // are covered, so a second format is added only for values the first cannot read.
        let readable = filled == 0 ? 1 : 1 - Double(dates.unparsed) / Double(filled)
        var covered = 0.0
        for f in usable.sorted(by: { $0.share > $1.share }) where covered < readable - 1e-3 && formats.count < 3 {
            formats.append(f.format)
            covered += f.share
        }
        if [.ambiguous, .mixed].contains(dates.order), formats.contains(where: ordered.contains) {
            formats = []
            todo = orderTODO(dates.order)
        } else if dates.unparsed > 0 || formats.isEmpty {
            todo =
                "\(dates.unparsed) value(s) no candidate format reads: add their format (YYYY, MM, DD, …), "
                + "or they are bad dates the run will reject"
        }
    }

    private func orderTODO(_ order: DateProfile.Order) -> String {
        order == .mixed
            ? "day-first and month-first dates both occur: ask the sender which format each has"
            : "every nn/nn date has both parts ≤ 12: write \"MM/DD/YYYY\" (month first) or \"DD/MM/YYYY\" "
                + "(day first); ask the sender"
    }
}
