import Consent
import Extractors

/// Drives the YAML config loaders with one fuzz input: the source-config parser and validator, and the
/// consent-policy reader (both on Yams).
///
/// Invariants: every problem names the file it was given and, when it has a line, a line of the text; a
/// source config with no problems makes its extractor; a problem's message never echoes a scalar that
/// looks personal (configs hold none, but a misplaced data line would).
public func fuzzSourceConfig(_ input: UnsafeRawBufferPointer) -> FuzzOutcome {
    var outcome = FuzzOutcome()
    let yaml = String(decoding: input, as: UTF8.self)
    // The last line, counting every break libyaml counts (Character.isNewline counts a few more).
    let breaks = yaml.count(where: \.isNewline)
    let lastLine = max(1, yaml.last?.isNewline == true ? breaks : breaks + 1)
    let (config, parseProblems) = SourceConfig.parse(yaml: yaml, file: "fuzz.yaml")
    var problems = parseProblems
    if let config {
        problems += config.validate()
        if problems.isEmpty {
            do {
                _ = try ExtractorRegistry.makeExtractor(for: config)
            } catch {
                outcome.check(false, "config: a config without problems does not make its extractor")
            }
            for (_, column) in config.columns {
                for format in column.formats ?? [] {
                    outcome.check(DateFormat(format) != nil, "config: a validated format does not compile")
                }
            }
        }
    } else {
        outcome.check(!problems.isEmpty, "config: no config and no problem")
    }
    for problem in problems {
        outcome.check(problem.file == "fuzz.yaml", "config: a problem names another file")
        if let line = problem.line {
            outcome.check(line >= 1 && line <= lastLine, "config: problem line \(line) outside 1...\(lastLine)")
        }
    }
    var policyMessages: [String] = []
    do {
        _ = try ConsentPolicy(yaml: yaml, file: "fuzz.yaml")
    } catch {
        policyMessages = error.problems.map(\.message)
        for problem in error.problems {
            outcome.check(problem.file == "fuzz.yaml", "policy: a problem names another file")
            if let line = problem.line {
                outcome.check(line >= 1 && line <= lastLine, "policy: problem line \(line) outside 1...\(lastLine)")
            }
        }
    }
    // What a message says was found: the text before its list of what was expected (that list is the
    // loaders' own vocabulary, e.g. the legal basis FERPA-99.31, which an input may spell too).
    let messages = (problems.map(\.message) + policyMessages).map { message in
        message.range(of: "expected").map { String(message[..<$0.lowerBound]) } ?? message
    }
    if !messages.isEmpty {
        for word in yaml.split(whereSeparator: { " \t\r\n:,[]{}\"'#".contains($0) }) where looksPersonal(String(word)) {
            if let message = messages.first(where: { $0.contains(word) }) {
                // The input is the fuzzer's (synthetic); naming the message helps to triage.
                outcome.check(false, "config: a problem message echoes a value: \(message)")
                break
            }
        }
    }
    return outcome
}
