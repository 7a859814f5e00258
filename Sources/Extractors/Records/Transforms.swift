import LastMileCore

/// One declarative change to a row before it is mapped (`transforms:` in a source config), by field name.
///
/// Field names are the file's own (a header cell, a JSON path, a fixed-width field); a transform's output is a
/// new field (or replaces one), which `columns:` can then name — or which is found by its lastmile name when
/// it is one (`into: first_name`). Transforms run in the order written.
public enum Transform: Sendable, Hashable {
    /// The same value in every row: `constant: { into: record_type, value: by-name-list }`.
    case constant(into: String, value: String)
    /// One field cut in two at the first (or last) `separator`: `"Last, First"` with `,` into
    /// `[last_name, first_name]`, `"First Last"` with a space at the last one into `[first_name, last_name]`.
    /// Without the separator the whole value goes to the first output and the second is empty.
    case split(column: String, separator: String, atLast: Bool, into: [String])
    /// Fields joined with `separator`, empty ones left out.
    case concat(columns: [String], separator: String, into: String)
    /// Surrounding white space (and non-breaking spaces) and any of `characters` removed.
    case trim(columns: [String], characters: String)
    /// A value for a field that is empty (or absent from the file).
    case defaultValue(column: String, value: String)
    /// Values replaced through a map (ignoring case and surrounding spaces); an unmapped value is kept, or the
    /// row rejected with `rejectUnmapped`.
    case map(column: String, values: [String: String], rejectUnmapped: Bool, into: String?)

    /// The fields it writes.
    public var outputs: [String] {
        switch self {
        case .constant(let into, _), .concat(_, _, let into): [into]
        case .split(_, _, _, let into): into
        case .trim(let columns, _): columns
        case .defaultValue(let column, _): [column]
        case .map(let column, _, _, let into): [into ?? column]
        }
    }
}

/// A `RecordSource` whose rows have the config's transforms applied: every field decoded, changed, and handed
/// on as UTF-8 with the new fields after the file's own.
final class TransformingSource: RecordSource {
    private let inner: any RecordSource
    private let steps: [Step]
    let header: [String]
    private let normalizedHeader: [String]
    private var declared: [Int: String] = [:]
    private let buffer = RowBuffer()
    private(set) var rowRejection: RowRejection?

    var file: String { inner.file }
    var format: RecordFormat { inner.format }
    var headerShape: LineShape { inner.headerShape }

    /// A transform with its fields resolved to indices (-1: absent from the file).
    private struct Step {
        var transform: Transform
        var inputs: [Int]
        var outputs: [Int]
        /// A map's entries by lower-cased, trimmed key.
        var lookup: [String: String] = [:]
    }

    init(_ inner: any RecordSource, transforms: [Transform]) {
        self.inner = inner
        var names = inner.header
        var folded = names.map(CSVReader.normalize(header:))
        func index(_ name: String, create: Bool) -> Int {
            let key = CSVReader.normalize(header: name)
            if let found = folded.firstIndex(of: key) { return found }
            guard create else { return -1 }
            names.append(name)
            folded.append(key)
            return names.count - 1
        }
        var steps: [Step] = []
        for transform in transforms {
            let inputs: [String]
            switch transform {
            case .constant: inputs = []
            case .split(let column, _, _, _), .defaultValue(let column, _), .map(let column, _, _, _): inputs = [column]
            case .concat(let columns, _, _), .trim(let columns, _): inputs = columns
            }
            let inputIndices = inputs.map { index($0, create: false) }
            var step = Step(
                transform: transform, inputs: inputIndices, outputs: transform.outputs.map { index($0, create: true) })
            if case .map(_, let values, _, _) = transform {
                for (key, value) in values { step.lookup[key.trimmingSpaces.lowercased()] = value }
            }
            steps.append(step)
        }
        self.steps = steps
        header = names
        normalizedHeader = folded
    }

    func nextRow() throws(InputError) -> CSVRow? {
        rowRejection = nil
        guard let row = try inner.nextRow() else { return nil }
        if row.problem != nil { return row }
        if let rejection = inner.rowRejection {
            rowRejection = rejection
            return row
        }
        var fields = (0..<header.count).map { $0 < row.fieldCount ? CSVRow.decode(row.rawBytes($0), row.encoding) : "" }
        for step in steps {
            if let rejection = apply(step, to: &fields, line: row.line) {
                rowRejection = rejection
                break
            }
        }
        return buffer.row(line: row.line, fields: fields)
    }

    /// Applies one step; a rejection when a value has no mapping and the map rejects unmapped values.
    private func apply(_ step: Step, to fields: inout [String], line: Int) -> RowRejection? {
        func value(_ i: Int) -> String { i >= 0 ? fields[i].trimmingSpaces : "" }
        switch step.transform {
        case .constant(_, let constant):
            fields[step.outputs[0]] = constant
        case .split(_, let separator, let atLast, _):
            let whole = value(step.inputs[0])
            if let cut = atLast ? whole.range(of: separator, options: .backwards) : whole.range(of: separator) {
                fields[step.outputs[0]] = String(whole[..<cut.lowerBound]).trimmingSpaces
                fields[step.outputs[1]] = String(whole[cut.upperBound...]).trimmingSpaces
            } else {
                fields[step.outputs[0]] = whole
                fields[step.outputs[1]] = ""
            }
        case .concat(_, let separator, _):
            fields[step.outputs[0]] = step.inputs.map(value).filter { !$0.isEmpty }.joined(separator: separator)
        case .trim(_, let characters):
            for (i, input) in step.inputs.enumerated() where input >= 0 {
                fields[step.outputs[i]] = Self.trim(fields[input], characters)
            }
        case .defaultValue(_, let fallback):
            if value(step.inputs[0]).isEmpty { fields[step.outputs[0]] = fallback }
        case .map(let column, let values, let rejectUnmapped, _):
            let original = value(step.inputs[0])
            guard !original.isEmpty else { return nil }
            if let mapped = step.lookup[original.lowercased()] {
                fields[step.outputs[0]] = mapped
            } else if rejectUnmapped {
                let known = values.keys.sorted()
                let index = step.inputs[0]
                if index >= 0, declared[index] == nil { declared[index] = column }
                return RowRejection(file: file, line: line, column: column, reason: .unknownCode(allowed: known))
            } else {
                fields[step.outputs[0]] = original
            }
        }
        return nil
    }

    /// `value` without surrounding white space, non-breaking spaces or any of `characters`.
    static func trim(_ value: String, _ characters: String) -> String {
        let drop: (Character) -> Bool = { $0.isWhitespace || $0 == "\u{00A0}" || characters.contains($0) }
        var s = Substring(value)
        while let c = s.first, drop(c) { s.removeFirst() }
        while let c = s.last, drop(c) { s.removeLast() }
        return String(s)
    }

    func columnIndices(named name: String) -> [Int] {
        let key = CSVReader.normalize(header: name)
        return normalizedHeader.indices.filter { normalizedHeader[$0] == key }
    }

    func declare(column index: Int, as name: String) {
        declared[index] = name
        if index < inner.header.count { inner.declare(column: index, as: name) }
    }

    func declaredName(ofColumn index: Int) -> String? { declared[index] ?? inner.declaredName(ofColumn: index) }
}
