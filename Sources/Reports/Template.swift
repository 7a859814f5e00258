import LastMileCore

/// A value a template can show: text (always HTML-escaped), a list of nested contexts, or a yes/no.
public enum TemplateValue: Sendable, Hashable {
    case text(String)
    case list([TemplateContext])
    case flag(Bool)
}

/// The names a template can use at one level, each with its value.
public typealias TemplateContext = [String: TemplateValue]

/// A template a data team can restyle: HTML with a few placeholders, every value HTML-escaped.
///
/// Syntax (a small subset of Mustache):
/// - `{{name}}` the value of `name`, HTML-escaped; there is no unescaped form.
/// - `{{#name}}…{{/name}}` repeats the inside for each item of a list (names inside look in the item first,
///   then outwards), or shows it once when `name` is a true flag or non-empty text.
/// - `{{^name}}…{{/name}}` shows the inside when `name` is an empty list, a false flag or empty text.
/// - `{{! comment }}` is dropped.
/// Names are letters, digits, `_` and `-`. A name the renderer does not provide is an error naming the
/// template's line, so a typo never renders silently as nothing.
public struct HTMLTemplate: Sendable {
    /// The template's name in messages, e.g. `absenteeism.html`.
    public let name: String
    let nodes: [Node]

    indirect enum Node: Sendable {
        case literal(String)
        case value(String, line: Int)
        case section(String, inverted: Bool, body: [Node], line: Int)
    }

    /// Parses `text`; throws `TemplateError` for an unclosed tag or section, or a mismatched close.
    public init(name: String, text: String) throws {
        self.name = name
        var parser = Parser(name: name, chars: Array(text))
        nodes = try parser.parse(until: nil)
    }

    /// Renders with `context`; throws `TemplateError` for a name the context lacks or of the wrong kind.
    public func render(_ context: TemplateContext) throws -> String {
        var out = ""
        try render(nodes, scopes: [context], into: &out)
        return out
    }

    private func lookup(_ key: String, _ scopes: [TemplateContext], line: Int) throws -> TemplateValue {
        for scope in scopes.reversed() { if let v = scope[key] { return v } }
        let known = Set(scopes.flatMap(\.keys)).sorted().joined(separator: ", ")
        throw TemplateError(template: name, line: line, problem: "unknown name \"\(key)\"; available here: \(known)")
    }

    private func render(_ nodes: [Node], scopes: [TemplateContext], into out: inout String) throws {
        for node in nodes {
            switch node {
            case .literal(let s):
                out += s
            case .value(let key, let line):
                guard case .text(let s) = try lookup(key, scopes, line: line) else {
                    throw TemplateError(
                        template: name, line: line, problem: "\"\(key)\" is a list or flag; use {{#\(key)}}")
                }
                out += HTML.escape(s)
            case .section(let key, let inverted, let body, let line):
                let v = try lookup(key, scopes, line: line)
                let items: [TemplateContext]
                switch v {
                case .list(let l): items = l
                case .flag(let b): items = b ? [[:]] : []
                case .text(let s): items = s.isEmpty ? [] : [[:]]
                }
                if inverted {
                    if items.isEmpty { try render(body, scopes: scopes, into: &out) }
                } else {
                    for item in items { try render(body, scopes: scopes + [item], into: &out) }
                }
            }
        }
    }

    private struct Parser {
        let name: String
        let chars: [Character]
        var i = 0
        var line = 1
        /// Only spaces or tabs since the start of the current line.
        var lineClean = true

        /// The index of the newline ending the current line (or the end) when only spaces or tabs remain on it.
        func restOfLineIsBlank() -> Int? {
            var j = i
            while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
            return j == chars.count || chars[j].isNewline ? j : nil
        }

        mutating func parse(until closing: String?) throws -> [Node] {
            var nodes: [Node] = []
            var literal = ""
            while i < chars.count {
                if chars[i] == "{", i + 1 < chars.count, chars[i + 1] == "{" {
                    let tagLine = line
                    i += 2
                    var tag = ""
                    while i + 1 < chars.count, !(chars[i] == "}" && chars[i + 1] == "}") {
                        if chars[i].isNewline { line += 1 }
                        tag.append(chars[i])
                        i += 1
                    }
                    guard i + 1 < chars.count else {
                        throw TemplateError(template: name, line: tagLine, problem: "\"{{\" is never closed by \"}}\"")
                    }
                    i += 2
                    let t = tag.trimmingSpaces
                    guard let sigil = t.first else {
                        throw TemplateError(template: name, line: tagLine, problem: "empty tag {{}}")
                    }
                    // A section, close or comment tag alone on its line takes the line with it, as in Mustache.
                    if "#^/!".contains(sigil), lineClean, let next = restOfLineIsBlank() {
                        while let last = literal.last, last == " " || last == "\t" { literal.removeLast() }
                        if next < chars.count { line += 1 }
                        i = min(next + 1, chars.count)
                    } else if !"#^/!".contains(sigil) {
                        lineClean = false
                    }
                    if !literal.isEmpty { nodes.append(.literal(literal)) }
                    literal = ""
                    switch sigil {
                    case "!":
                        continue
                    case "#", "^":
                        let key = try checkedName(String(t.dropFirst()).trimmingSpaces, line: tagLine)
                        let body = try parse(until: key)
                        nodes.append(.section(key, inverted: sigil == "^", body: body, line: tagLine))
                    case "/":
                        let key = String(t.dropFirst()).trimmingSpaces
                        guard key == closing else {
                            let expected = closing.map { "{{/\($0)}}" } ?? "no closing tag"
                            throw TemplateError(
                                template: name, line: tagLine, problem: "{{/\(key)}} found; expected \(expected)")
                        }
                        return nodes
                    default:
                        nodes.append(.value(try checkedName(t, line: tagLine), line: tagLine))
                    }
                } else {
                    if chars[i].isNewline {
                        line += 1
                        lineClean = true
                    } else if chars[i] != " " && chars[i] != "\t" {
                        lineClean = false
                    }
                    literal.append(chars[i])
                    i += 1
                }
            }
            if !literal.isEmpty { nodes.append(.literal(literal)) }
            if let closing {
                throw TemplateError(
                    template: name, line: line, problem: "section \"\(closing)\" is never closed with {{/\(closing)}}")
            }
            return nodes
        }

        func checkedName(_ s: String, line: Int) throws -> String {
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            else {
                throw TemplateError(template: name, line: line, problem: "a name is letters, digits, _ or -")
            }
            return s
        }
    }
}

/// A template that cannot be parsed or rendered: names the template, the line and the problem.
public struct TemplateError: Error, ClassifiedError, CustomStringConvertible, Equatable {
    public var template: String
    public var line: Int
    public var problem: String
    public var exitStatus: ExitStatus { .configuration }
    public var description: String { "\(template):\(line): \(problem)" }

    public init(template: String, line: Int, problem: String) {
        self.template = template
        self.line = line
        self.problem = problem
    }
}

/// HTML escaping for text and attribute values.
public enum HTML {
    /// Escapes `& < > " '` so a value can sit in text or in a quoted attribute, and shows directional
    /// overrides as text (see `visibleDirectionalOverrides`).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in visibleDirectionalOverrides(s).unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

/// A value with its bidirectional embedding, override and isolate controls (U+202A–E, U+2066–9) written out
/// as `[U+202E]`, so a list shows what the source sent instead of reordering the text around it (a school
/// id `abc‮fdp.exe` would read `abcexe.pdf`). The weak marks U+200E/F, which real right-to-left names may
/// carry, are kept.
func visibleDirectionalOverrides(_ s: String) -> String {
    s.replacingScalars(
        where: { (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value) },
        with: { "[U+" + String($0.value, radix: 16, uppercase: true) + "]" })
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
