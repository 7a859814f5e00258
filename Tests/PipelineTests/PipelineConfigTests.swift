import Extractors
import Foundation
import Pipeline
import Testing

@Suite struct PipelineConfigTests {
    /// Writes `text` as a pipeline file in a fresh folder and loads it.
    func load(_ text: String) throws -> PipelineConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lastmile-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("nightly.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try PipelineConfig.load(path: file.path)
    }

    @Test func aYAMLSyntaxErrorNamesALineTheFileHasAndNotItsText() throws {
        // libyaml places this error on line 3, after the last; the message names line 2.
        let error = try #require(throws: PipelineConfigError.self) { try load("pipeline: x\nsources: [a,\n") }
        let problem = try #require(error.problems.first)
        #expect(problem.line == 2)
        #expect(problem.message.hasPrefix("not valid YAML: "))
        #expect(!"\(error)".contains("sources: [a"))
    }

    @Test func aSyntaxErrorInsideTheFileNamesItsLine() throws {
        let error = try #require(throws: PipelineConfigError.self) {
            try load("pipeline: x\nsources:\n  - name: a\n   bad: [\nlock_wait_seconds: 0\n")
        }
        let line = try #require(error.problems.first?.line)
        #expect((3...5).contains(line))
    }
}
