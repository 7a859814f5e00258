import LastMileCore
import Yams

extension SourceProposal {
    /// Every `FILL-IN` left in a source config's text, each as a problem at its line and key path saying what
    /// to write there; empty when the text has none (or does not parse: the loader reports that).
    public static func placeholderProblems(yaml: String, file: String) -> [ConfigProblem] {
        guard let root = try? Yams.compose(yaml: yaml) else { return [] }
        let top = root.mapping
        let kind = top?["extractor"]?.string
        let layoutName = top?["layout"]?.string
        let layout = kind.flatMap { ExtractorRegistry.extractor(kind: $0)?.layout(named: layoutName) }
        var problems: [ConfigProblem] = []
        func visit(_ node: Node, _ path: String) {
            if let mapping = node.mapping {
                for (key, value) in mapping {
                    let name = key.string ?? ""
                    visit(value, path.isEmpty ? name : "\(path).\(name)")
                }
            } else if let sequence = node.sequence {
                for (i, item) in sequence.enumerated() { visit(item, "\(path)[\(i)]") }
            } else if node.scalar?.string == placeholder {
                problems.append(
                    ConfigProblem(
                        file: file, keyPath: path,
                        at: node.mark.map { ConfigPosition(line: $0.line, column: $0.column) },
                        message: "still \(placeholder) (left by `lastmile source init`): " + hint(path, layout)))
            }
        }
        visit(root, "")
        return problems
    }

    /// What to write at a placeholder's key path.
    static func hint(_ path: String, _ layout: SourceLayout?) -> String {
        let parts = path.split(separator: ".").map(String.init)
        if path == "agreement" {
            return "write the id of the data-sharing agreement the feed arrives under, and add that agreement to "
                + "the consent policy (docs/consent.md)"
        }
        if parts.count == 2, parts[0] == "columns" {
            return "write the header of the feed's column holding \(parts[1]) (required)"
        }
        if parts.count == 3, parts[0] == "columns", parts[2].hasPrefix("formats") {
            return "write the date format of \(parts[1]), \"MM/DD/YYYY\" (month first) or \"DD/MM/YYYY\" (day first)"
        }
        if parts.count == 3, parts[0] == "codes" {
            let values = layout?.column(parts[1]).flatMap { spec -> [String]? in
                if case .code(let values, _, _) = spec.kind { return values }
                return nil
            }
            return "write what code \(ShortCode.display(parts[2])) of \(parts[1]) means"
                + (values.map { ": one of " + $0.joined(separator: ", ") } ?? "")
        }
        return "replace it with a value"
    }
}
