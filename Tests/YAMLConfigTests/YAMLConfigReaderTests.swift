import LastMileCore
import Testing
import YAMLConfig

@Suite struct YAMLConfigReaderTests {
    @Test func anUnknownKeyIsReportedAtItsOwnLineAndColumnWithASuggestion() {
        var reader = YAMLConfigReader(text: "rejects:\n  directory: x\n  retention_dayz: 3\n", file: "p.yaml")
        let top = reader.mapping(reader.root, "", keys: ["rejects"])
        _ = reader.mapping(top?["rejects"], "rejects", keys: ["directory", "retention_days"])
        #expect(
            reader.problems.map(\.description) == [
                "p.yaml:3:3: rejects.retention_dayz: unknown key (did you mean retention_days?)"
            ])
    }

    @Test func aMistypedNumberIsAProblemNotADefault() {
        var reader = YAMLConfigReader(text: "retention_days: \"x\"\nlock: 1.5\n", file: "p.yaml")
        let top = reader.mapping(reader.root, "", keys: ["retention_days", "lock"])
        let days = reader.int(top?["retention_days"], "retention_days", in: 1...3650, expected: "whole days")
        let lock = reader.int(top?["lock"], "lock", in: 0...60, expected: "whole seconds")
        #expect(days == nil && lock == nil)
        #expect(
            reader.problems.map(\.description) == [
                "p.yaml:1:17: retention_days: expected whole days", "p.yaml:2:7: lock: expected whole seconds",
            ])
    }

    @Test func aDuplicateKeyNamesBothLines() throws {
        let text = "pipeline: nightly\nrejects:\n  directory: a\n  # a comment\n  directory: b\npurpose: TREAT\n"
        let reader = YAMLConfigReader(text: text, file: "p.yaml")
        #expect(reader.root == nil)
        let problem = try #require(reader.problems.first)
        #expect(reader.problems.count == 1)
        #expect(problem.line == 3 && problem.column == 3 && problem.keyPath == "directory")
        #expect(problem.message.contains("first at line 3") && problem.message.contains("again at line 5"))
    }

    @Test func aDuplicateKeyInsideAListItemIsFoundBeforeTheNextItem() throws {
        let text = "agreements:\n  - id: a\n    source: s\n  - id: b\n    id: c\n"
        let problem = try #require(YAMLConfigReader(text: text, file: "p.yaml").problems.first)
        #expect(problem.line == 4 && problem.message.contains("again at line 5"))
    }

    @Test func aSyntaxErrorHasLineColumnAndReason() throws {
        let reader = YAMLConfigReader(text: "pipeline: x\nsources: [a,\n  b\nflags: {\n", file: "p.yaml")
        let problem = try #require(reader.problems.first)
        #expect(problem.line != nil && problem.column != nil)
        #expect(problem.message.hasPrefix("not valid YAML: "))
        #expect(problem.description.hasPrefix("p.yaml:\(problem.line!):\(problem.column!): not valid YAML: "))
    }

    @Test func aTabIndentIsASyntaxErrorOnItsLine() throws {
        let problem = try #require(YAMLConfigReader(text: "a: 1\nb:\n\t- x\n", file: "p.yaml").problems.first)
        #expect(problem.line == 3)
        #expect(problem.column != nil)
    }

    @Test func aMissingRequiredKeyPointsAtItsParent() {
        var reader = YAMLConfigReader(text: "x: 1\nmatch:\n  review_threshold: 0.5\n", file: "p.yaml")
        let top = reader.mapping(reader.root, "", keys: ["x", "match"])
        let match = reader.mapping(top?["match"], "match", keys: ["model", "review_threshold"])
        _ = reader.string(match?["model"], "match.model", required: true)
        #expect(reader.problems.map(\.description) == ["p.yaml:2:1: match.model: missing; expected a text value"])
    }

    @Test func everyProblemIsKeptSoTheyAreReportedAtOnce() {
        var reader = YAMLConfigReader(text: "a: yes-ish\nb: [1]\nc: 2\nd: 3\n", file: "p.yaml")
        let top = reader.mapping(reader.root, "", keys: ["a", "b", "c"])
        _ = reader.bool(top?["a"], "a")
        _ = reader.string(top?["b"], "b")
        #expect(reader.problems.map(\.keyPath) == ["d", "a", "b"])
        #expect(reader.error?.exitStatus == .configuration)
    }
}
