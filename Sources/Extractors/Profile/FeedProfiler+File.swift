import Foundation
import LastMileCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension FeedProfiler {
    /// Profiles one file read as the config reads it (format from the bytes, dialect, header line, transforms),
    /// comparing its row count with `previous`.
    /// - Throws: `InputError` when the file is unusable (cannot be opened, empty, not text, a field too long).
    public static func profile(
        _ input: InputLocation, config: SourceConfig, layout: SourceLayout, previous: InputLocation? = nil
    ) throws(InputError) -> FeedProfile {
        let reader = try RecordSources.open(input, config: config)
        var profiler = FeedProfiler(file: input.name, config: config, layout: layout, header: reader.header)
        while let row = try reader.nextRow() {
            if row.problem != nil || reader.rowRejection != nil {
                profiler.addUnreadableRow()
            } else {
                profiler.add((0..<row.fieldCount).map { row.string($0) })
            }
        }
        let before = try previous.map { p throws(InputError) in (file: p.name, rows: try countRows(p, config: config)) }
        var profile = profiler.finish(previous: before)
        profile.likelyDelimiter = likelyDelimiter(reader.headerShape, headerFields: reader.header.count)
        return profile
    }

    /// The delimiter the header seems written with, when it is not the configured one and splits it into more
    /// fields than the configured one did.
    static func likelyDelimiter(_ shape: LineShape, headerFields: Int) -> LikelyDelimiter? {
        guard shape.format == .csv || shape.format == .utf16Text, let detected = shape.detected,
            detected != shape.configured, shape.fields > headerFields
        else { return nil }
        return LikelyDelimiter(name: LineShape.name(of: detected), fields: shape.fields)
    }

    /// The data rows of a file (the header not counted; blank lines skipped).
    public static func countRows(_ input: InputLocation, config: SourceConfig) throws(InputError) -> Int {
        let reader = try RecordSources.open(input, config: config)
        var rows = 0
        while try reader.nextRow() != nil { rows += 1 }
        return rows
    }

    /// The source's previous file: the newest (by modification time, then name) file matching the config's
    /// `input:` glob other than `file`; nil when the config has no glob or nothing else matches.
    public static func previousFile(of file: String, config: SourceConfig) -> InputLocation? {
        guard let pattern = config.input else { return nil }
        let this = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
        let others = matching(pattern).filter { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path != this }
        let dated = others.compactMap { path -> (path: String, modified: Date)? in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date
            else { return nil }
            return (path, modified)
        }
        return dated.max { ($0.modified, $0.path) < ($1.modified, $1.path) }.map { InputLocation(path: $0.path) }
    }

    /// The paths matching a glob pattern, sorted.
    static func matching(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}
