extension Migration {
    /// The reference files last applied, by kind (the MPI snapshot), with their sha256: a nightly run skips a
    /// snapshot identical to the one applied last, whose load would change nothing. A delta or a merge, which
    /// change the patients in between, forget the record, so the next snapshot is applied in full.
    static let referenceFiles = Migration(
        version: 13, name: "reference files applied, by sha256",
        sql: """
            CREATE TABLE lastmile.reference_file (
                kind       text PRIMARY KEY,
                sha256     text NOT NULL,
                file_name  text NOT NULL,
                applied_at timestamptz NOT NULL
            );
            GRANT SELECT, INSERT, UPDATE, DELETE ON lastmile.reference_file TO lastmile_loader;
            """)
}
