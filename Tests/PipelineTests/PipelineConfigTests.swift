import Extractors
import Foundation
import LastMileCore
import Pipeline
import Store
import Testing

@Suite struct PipelineConfigTests {
    /// Writes `text` as a pipeline file in a fresh folder and loads it.
    func load(_ text: String) throws -> PipelineConfig {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "lastmile-pipeline-\(UUID().uuidString)")
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

    @Test func mistypedValuesAreErrorsNotDefaults() throws {
        let error = try #require(throws: ConfigError.self) {
            try load("sources: [a]\nrejects:\n  retention_days: \"x\"\nlock_wait_seconds: soon\n")
        }
        let text = error.problems.map(\.description)
        #expect(
            text.contains {
                $0.hasSuffix(":3:19: rejects.retention_days: expected a whole number of days from 1 to 3650")
            })
        #expect(
            text.contains { $0.hasSuffix(":4:20: lock_wait_seconds: expected a whole number of seconds, 0 or more") })
        #expect(text.contains { $0.contains(":1:11: sources[0]: unknown source a: no source config ") })
    }

    @Test func aFlagRuleMistakeNamesItsOwnLine() throws {
        let error = try #require(throws: ConfigError.self) {
            try load("sources: []\nflags:\n  absenteeism:\n    school_year_start: 08-01\n    chronic_treshold: 0.1\n")
        }
        let text = error.problems.map(\.description)
        #expect(text.contains { $0.contains(":5:23: flags.absenteeism.chronic_treshold: unknown key") }, "\(text)")
    }

    @Test func aDuplicateKeyNamesBothLines() throws {
        let error = try #require(throws: ConfigError.self) {
            try load("sources: []\nlock_wait_seconds: 0\npurpose: TREAT\nlock_wait_seconds: 5\n")
        }
        #expect(error.problems.count == 1)
        #expect(error.problems.first?.message == "duplicate key: first at line 2; again at line 4; keep one")
    }
}
