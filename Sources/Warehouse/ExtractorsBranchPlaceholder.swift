// Placeholder so the package builds on the extractors branch; the warehouse branch supplies the module.
