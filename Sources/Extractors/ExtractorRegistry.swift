import LastMileCore

/// The built-in extractors, by kind. A new format is one line here (see docs/adding-a-source.md).
public enum ExtractorRegistry {
    /// Every extractor lastmile knows, in help order.
    public static let builtIn: [any Extractor.Type] = [
        SchoolAttendanceExtractor.self,
        HMISCSVExtractor.self,
        JailBookingsExtractor.self,
        HousingRegistryExtractor.self,
        ShelterRosterExtractor.self,
    ]

    /// Every kind, in registry order.
    public static var kinds: [String] { builtIn.map { $0.kind } }

    /// The extractor type of a kind; nil when unknown.
    public static func extractor(kind: String) -> (any Extractor.Type)? {
        builtIn.first { $0.kind == kind }
    }

    /// Validates `config` and makes its extractor.
    /// - Throws: `SourceConfigError` when the config has problems.
    public static func makeExtractor(for config: SourceConfig) throws -> any Extractor {
        let problems = config.validate()
        guard problems.isEmpty, let type = extractor(kind: config.extractor) else {
            throw SourceConfigError(problems: problems)
        }
        return try type.init(source: config)
    }
}
