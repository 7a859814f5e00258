extension Migration {
    /// A new report is a query and a renderer (`Delivery.ReleasePath`), not a schema change: the report kind is
    /// checked for its form (a lower-case slug, as report and file names use it) instead of against a list of
    /// the two kinds the first wave knew.
    static let openReportKinds = Migration(
        version: 7, name: "report kinds are slugs, not a fixed list",
        sql: """
            ALTER TABLE lastmile.report DROP CONSTRAINT report_kind_check;
            ALTER TABLE lastmile.report ADD CONSTRAINT report_kind_check
                CHECK (kind ~ '^[a-z][a-z0-9]*(-[a-z0-9]+)*$' AND length(kind) <= 40);
            """)
}
