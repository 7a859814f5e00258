import ArgumentParser
import Foundation

/// The path of `--source NAME`'s config, `PIPELINES/sources/NAME.yaml`; a name with no config is a usage error
/// (64) that lists the sources there are, rather than "cannot read the file".
func sourceConfigPath(_ source: String, pipelines: String) throws -> String {
    let folder = "\(pipelines)/sources"
    let path = "\(folder)/\(source).yaml"
    guard !FileManager.default.fileExists(atPath: path) else { return path }
    let known = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    let list = known.isEmpty ? "there is no source config in \(folder)" : "known: " + known.joined(separator: ", ")
    throw ValidationError("--source \(source): no such source (\(path) does not exist); \(list)")
}
