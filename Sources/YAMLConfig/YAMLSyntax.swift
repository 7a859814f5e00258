import LastMileCore
import Yams

/// Turns libyaml's and Yams's parse errors into one problem with line, column and reason.
///
/// The offending line's text is never repeated (the file is at hand, and a line could hold data).
enum YAMLSyntax {
    static func problem(_ error: any Error, text: String, file: String, lastLine: Int) -> ConfigProblem {
        func at(_ mark: Mark) -> ConfigPosition {
            mark.line > lastLine ? ConfigPosition(line: lastLine) : ConfigPosition(line: mark.line, column: mark.column)
        }
        switch error as? YamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \(min($0.mark.line, lastLine)))" } ?? ""
            return ConfigProblem(
                file: file, keyPath: "", at: at(mark), message: "not valid YAML: \(problem)\(during)")
        case .duplicatedKeysInMapping(let keys, let context):
            return duplicateKey(keys.sorted().first ?? "", first: at(context.mark), text: text, file: file)
        case .reader(let problem, _, _, _):
            return ConfigProblem(file: file, keyPath: "", message: "not valid YAML text: \(problem)")
        default:
            return ConfigProblem(file: file, keyPath: "", message: "not valid YAML")
        }
    }

    /// A duplicate key: Yams names the first occurrence; the second is found as the next line that has the same
    /// key at the same column before the mapping ends (a line starting further left).
    static func duplicateKey(_ key: String, first: ConfigPosition, text: String, file: String) -> ConfigProblem {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        var second: Int?
        if let column = first.column, first.line <= lines.count {
            for index in first.line..<lines.count {
                let scalars = Array(lines[index].unicodeScalars)
                guard let start = scalars.firstIndex(where: { $0 != " " }), scalars[start] != "#" else { continue }
                if start < column - 1 { break }
                guard start == column - 1 else { continue }
                let rest = String(String.UnicodeScalarView(scalars.dropFirst(column - 1)))
                if rest.hasPrefix(key), rest.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                    second = index + 1
                    break
                }
            }
        }
        let again = second.map { "; again at line \($0)" } ?? "; it appears again later in the same mapping"
        return ConfigProblem(
            file: file, keyPath: key, at: first,
            message: "duplicate key: first at line \(first.line)\(again); keep one")
    }
}

/// " (did you mean x?)" when a known name is within two edits, else the list of known names.
public enum Suggestion {
    public static func text(_ word: String, _ candidates: [String]) -> String {
        let w = Array(word)
        let best = candidates.map { ($0, distance(w, Array($0))) }.min { $0.1 < $1.1 }
        if let best, best.1 <= 2 { return " (did you mean \(best.0)?)" }
        return "; expected one of \(candidates.joined(separator: ", "))"
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
