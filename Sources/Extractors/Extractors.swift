// The Extract stage: a streaming CSV reader over libcsv, the `Extractor` protocol, its registry, the built-in
// extractors and declarative source configs. See docs/adding-a-source.md.
