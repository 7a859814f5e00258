import LastMileCore
import Yams

/// The one reader of lastmile's YAML files (source configs, pipelines, the consent policy, delivery files).
///
/// It parses the text once, then hands out typed values while collecting every problem instead of stopping
/// at the first: unknown keys, wrong types (never a silent default), missing required keys, each at the line
/// and column of its own node. A syntax error or a duplicate key makes the text unreadable: `root` is nil and
/// the one problem says where (both lines for a duplicate key) and why.
public struct YAMLConfigReader {
    /// The file, as messages name it.
    public let file: String
    /// Every problem found so far, in the order found.
    public private(set) var problems: [ConfigProblem] = []
    /// The document's root node; nil for an empty or unreadable text.
    public let root: Node?
    /// Where each key path read so far sits, so later checks can point at the same line.
    public private(set) var positions: [String: ConfigPosition] = [:]
    /// The text's last line: libyaml puts an error, or an empty node, at the end of the text on the line after it.
    let lastLine: Int

    /// Parses `text`; a syntax error or duplicate key becomes the reader's first problem.
    public init(text: String, file: String) {
        self.file = file
        lastLine = YAMLText.lastLine(of: text)
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            root = nil
            problems.append(YAMLSyntax.problem(error, text: text, file: file, lastLine: lastLine))
        }
        if let root { positions[""] = position(of: root) }
    }

    /// Whether the text parsed (it may still be empty).
    public var isReadable: Bool { problems.isEmpty || root != nil }

    /// The error carrying every problem, or nil when there are none.
    public var error: ConfigError? { problems.isEmpty ? nil : ConfigError(problems: problems) }

    // MARK: Reporting

    /// The line and column of a node, kept within the text.
    public func position(of node: Node?) -> ConfigPosition? {
        guard let mark = node?.mark else { return nil }
        return mark.line > lastLine
            ? ConfigPosition(line: lastLine) : ConfigPosition(line: mark.line, column: mark.column)
    }

    /// Records a problem at `node` (the root's position when nil).
    public mutating func report(_ node: Node?, _ path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, keyPath: path, at: position(of: node ?? root), message: message))
    }

    /// Records a problem at the position of `path`, or of its nearest ancestor read so far.
    public mutating func report(at path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, keyPath: path, at: nearestPosition(path), message: message))
    }

    /// Adds problems found elsewhere (another file, a cross-check).
    public mutating func add(_ more: [ConfigProblem]) { problems += more }

    /// The position of `path` or of the nearest ancestor with one.
    public func nearestPosition(_ path: String) -> ConfigPosition? {
        var p = Substring(path)
        while true {
            if let found = positions[String(p)] { return found }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { return positions[""] }
            p = p[..<cut]
        }
    }

    /// The position of the key at a dotted path of plain keys (`list.chronic_threshold`), found in the tree.
    public func position(ofKeyPath path: String) -> ConfigPosition? {
        var node = root
        var keyNode: Node?
        for key in path.split(separator: ".").map(String.init) {
            guard let pair = node?.mapping?.first(where: { $0.key.string == key }) else { return nil }
            keyNode = pair.key
            node = pair.value
        }
        return position(of: keyNode)
    }

    /// The top-level keys of the document, when it is a mapping.
    public var topLevelKeys: Set<String> { Set(root?.mapping?.keys.compactMap(\.string) ?? []) }

    // MARK: Structure

    /// A mapping whose keys must be among `keys`; every other key is reported at its own line.
    public mutating func mapping(
        _ node: Node?, _ path: String, keys: [String], required: Bool = false, expected: String? = nil
    ) -> ConfigMapping? {
        let what = expected ?? "a mapping with \(keys.joined(separator: ", "))"
        guard let node else {
            if required { report(at: path, "missing; expected \(what)") }
            return nil
        }
        guard let pairs = node.mapping else {
            report(node, path, "expected \(what)")
            return nil
        }
        var map = ConfigMapping(path: path, node: node)
        for (keyNode, value) in pairs {
            guard let key = keyNode.scalar?.string, !key.isEmpty else {
                report(keyNode, path, "keys must be plain words")
                continue
            }
            let keyPath = map.path(key)
            guard keys.contains(key) else {
                report(keyNode, keyPath, "unknown key" + Suggestion.text(key, keys))
                continue
            }
            positions[keyPath] = position(of: keyNode)
            map.values[key] = value
            map.keyNodes[key] = keyNode
        }
        return map
    }

    /// A mapping with any keys (a code map, column overrides): the caller checks each key.
    public mutating func anyMapping(_ node: Node?, _ path: String, expected: String) -> [(key: String, value: Node)]? {
        guard let node else { return nil }
        guard let pairs = node.mapping else {
            report(node, path, "expected \(expected)")
            return nil
        }
        var out: [(key: String, value: Node)] = []
        for (keyNode, value) in pairs {
            guard let key = keyNode.scalar?.string, !key.isEmpty else {
                report(keyNode, path, "keys must be plain words")
                continue
            }
            positions[path.isEmpty ? key : "\(path).\(key)"] = position(of: keyNode)
            out.append((key, value))
        }
        return out
    }

    /// A list; each item's position is kept under `path[i]`.
    public mutating func sequence(_ node: Node?, _ path: String, required: Bool = false, expected: String = "a list")
        -> [Node]?
    {
        guard let node else {
            if required { report(at: path, "missing; expected \(expected)") }
            return nil
        }
        guard let items = node.sequence else {
            report(node, path, "expected \(expected)")
            return nil
        }
        for (i, item) in items.enumerated() { positions["\(path)[\(i)]"] = position(of: item) }
        return Array(items)
    }

    // MARK: Scalars

    /// A non-empty text value, trimmed.
    public mutating func string(_ node: Node?, _ path: String, required: Bool = false) -> String? {
        guard let node else {
            if required { report(at: path, "missing; expected a text value") }
            return nil
        }
        guard let s = node.scalar?.string.trimmingWhitespace, !s.isEmpty else {
            report(node, path, "expected a non-empty text value")
            return nil
        }
        return s
    }

    /// A whole number within `range`; anything else (text, a fraction) is reported, never defaulted.
    public mutating func int(
        _ node: Node?, _ path: String, in range: ClosedRange<Int>, expected: String, required: Bool = false
    ) -> Int? {
        guard let node else {
            if required { report(at: path, "missing; expected \(expected)") }
            return nil
        }
        guard node.scalar != nil, let n = node.int, range.contains(n) else {
            report(node, path, "expected \(expected)")
            return nil
        }
        return n
    }

    /// A number within `range`.
    public mutating func double(
        _ node: Node?, _ path: String, in range: ClosedRange<Double>, expected: String, required: Bool = false
    ) -> Double? {
        guard let node else {
            if required { report(at: path, "missing; expected \(expected)") }
            return nil
        }
        guard node.scalar != nil, let d = node.float ?? node.int.map(Double.init), range.contains(d) else {
            report(node, path, "expected \(expected)")
            return nil
        }
        return d
    }

    /// `true` or `false`.
    public mutating func bool(_ node: Node?, _ path: String, required: Bool = false) -> Bool? {
        guard let node else {
            if required { report(at: path, "missing; expected true or false") }
            return nil
        }
        guard node.scalar != nil, let b = node.bool else {
            report(node, path, "expected true or false")
            return nil
        }
        return b
    }

    /// One of an enumeration's raw values.
    public mutating func enumValue<E: RawRepresentable & CaseIterable>(
        _ node: Node?, _ path: String, required: Bool = false
    ) -> E? where E.RawValue == String {
        guard let s = string(node, path, required: required) else { return nil }
        guard let v = E(rawValue: s) else {
            report(node, path, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return v
    }

    /// A list of non-empty text values.
    public mutating func strings(_ node: Node?, _ path: String, required: Bool = false) -> [String]? {
        guard let items = sequence(node, path, required: required, expected: "a list of text values") else {
            return nil
        }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            if let s = string(item, "\(path)[\(i)]", required: true) { out.append(s) }
        }
        return out.count == items.count ? out : nil
    }
}

/// A mapping's known keys, each with its value node and key node (for positions).
public struct ConfigMapping {
    /// The mapping's own key path.
    public let path: String
    /// The mapping node (required-key problems point at it).
    public let node: Node
    public internal(set) var values: [String: Node] = [:]
    public internal(set) var keyNodes: [String: Node] = [:]

    /// The value of `key`, if present.
    public subscript(key: String) -> Node? { values[key] }

    /// The key path of `key` inside this mapping.
    public func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
