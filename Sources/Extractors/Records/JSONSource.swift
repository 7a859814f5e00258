import Foundation
import LastMileCore

/// JSON records — one object per line (JSON lines) or the elements of one array (as an Ed-Fi ODS/API or a
/// vendor's REST export returns them) — read by field path.
///
/// Nested objects are flattened to dotted paths (`studentReference.studentUniqueId`); an array of plain values
/// becomes one field joined with `; `, an array of objects indexed paths (`charges[0].statute`). `null` is
/// empty, `true`/`false` read as text. The names rows are read by are every path seen in the file, in order
/// of first appearance, so a column is named in the config by its path. A line (or element) that is not a
/// JSON object is one rejected row; the line of an array element is the line it starts on.
final class JSONSource: MaterializedSource {
    private var records: [(line: Int, values: [String: String]?)] = []
    private var next = 0
    private var current: RowRejection?

    override var rowRejection: RowRejection? { current }

    init(_ input: InputLocation, array: Bool) throws(InputError) {
        super.init(file: input.name, format: array ? .jsonArray : .jsonLines)
        let bytes = try InputBytes.all(input)
        let pieces = array ? try Self.elements(of: bytes, file: input.name) : Self.lines(of: bytes)
        var order: [String] = []
        var seen: Set<String> = []
        for (line, slice) in pieces {
            let values = Self.flattenedObject(slice)
            for key in values?.keys.sorted() ?? [] where seen.insert(key).inserted { order.append(key) }
            records.append((line, values))
        }
        guard !records.isEmpty else { throw InputError(file: input.name, problem: .empty) }
        setHeader(order)
    }

    override func nextFields() throws(InputError) -> (line: Int, fields: [String])? {
        current = nil
        guard next < records.count else { return nil }
        let (line, values) = records[next]
        next += 1
        guard let values else {
            current = RowRejection(file: file, line: line, reason: .invalid(expected: "one JSON object"))
            return (line, [])
        }
        return (line, header.map { values[$0] ?? "" })
    }

    // MARK: - Splitting

    /// Non-blank lines with their line numbers.
    static func lines(of bytes: [UInt8]) -> [(Int, ArraySlice<UInt8>)] {
        var out: [(Int, ArraySlice<UInt8>)] = []
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        for i in start...bytes.count where i == bytes.count || bytes[i] == 10 {
            let slice = bytes[start..<i]
            if slice.contains(where: { ![9, 10, 13, 32].contains($0) }) { out.append((line, slice)) }
            line += 1
            start = i + 1
        }
        return out
    }

    /// The top-level elements of a JSON array, each with the line it starts on.
    /// - Throws: `InputError.malformed` when the text is not one array (an unclosed string or bracket).
    static func elements(of bytes: [UInt8], file: String) throws(InputError) -> [(Int, ArraySlice<UInt8>)] {
        var out: [(Int, ArraySlice<UInt8>)] = []
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var elementStart: Int?
        var elementLine = 1
        var closed = false
        for (i, b) in bytes.enumerated() {
            if b == 10 { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1, elementStart == nil { (elementStart, elementLine) = (i, line) }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if depth == 1, elementStart == nil { (elementStart, elementLine) = (i, line) }
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 {
                    if let s = elementStart { out.append((elementLine, bytes[s..<i])) }
                    elementStart = nil
                    closed = true
                }
            case UInt8(ascii: ","):
                if depth == 1, let s = elementStart {
                    out.append((elementLine, bytes[s..<i]))
                    elementStart = nil
                }
            case 9, 10, 13, 32, 0xEF, 0xBB, 0xBF:
                break
            default:
                if depth == 1, elementStart == nil { (elementStart, elementLine) = (i, line) }
            }
            if closed { break }
        }
        guard closed else {
            throw InputError(
                file: file,
                problem: .malformed(
                    format: .jsonArray, line: line, detail: "the array is not closed (a missing ] or \")"))
        }
        return out
    }

    // MARK: - Flattening

    /// The object's values by dotted path; nil when the text is not one JSON object.
    static func flattenedObject(_ slice: ArraySlice<UInt8>) -> [String: String]? {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(slice)), case .object = value else {
            return nil
        }
        var out: [String: String] = [:]
        flatten(value, path: "", into: &out)
        return out
    }

    private static func flatten(_ value: JSONValue, path: String, into out: inout [String: String]) {
        switch value {
        case .object(let members):
            for (key, member) in members { flatten(member, path: path.isEmpty ? key : "\(path).\(key)", into: &out) }
        case .array(let items):
            if items.allSatisfy(\.isScalar) {
                out[path] = items.compactMap(\.text).filter { !$0.isEmpty }.joined(separator: "; ")
            } else {
                for (i, item) in items.enumerated() { flatten(item, path: "\(path)[\(i)]", into: &out) }
            }
        default:
            out[path] = value.text ?? ""
        }
    }
}

/// Any JSON value, decoded without losing whole numbers to floating point.
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let single = try? decoder.singleValueContainer()
        if let single {
            if single.decodeNil() {
                self = .null
                return
            }
            if let b = try? single.decode(Bool.self) {
                self = .bool(b)
                return
            }
            if let i = try? single.decode(Int.self) {
                self = .integer(i)
                return
            }
            if let d = try? single.decode(Double.self) {
                self = .number(d)
                return
            }
            if let s = try? single.decode(String.self) {
                self = .string(s)
                return
            }
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !list.isAtEnd { items.append(try list.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let keyed = try decoder.container(keyedBy: AnyKey.self)
        var members: [String: JSONValue] = [:]
        for key in keyed.allKeys { members[key.stringValue] = try keyed.decode(JSONValue.self, forKey: key) }
        self = .object(members)
    }

    var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    /// The value as a field's text; nil for arrays and objects.
    var text: String? {
        switch self {
        case .null: ""
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .string(let s): s
        case .array, .object: nil
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
