extension Migration {
    /// What a file produced and whether it is to be loaded again (issue 16: reprocessing, full snapshots).
    ///
    /// - Every event table records the file (its SHA-256) whose load last wrote each row, so a file loaded again
    ///   after a mapping fix can remove the rows it produced before and no longer produces.
    /// - `ingested_file.reprocess` marks a loaded file to be loaded again by the next run
    ///   (`lastmile files forget`); `reprocessed_run` names the last run that loaded it again.
    /// - `ingested_file.loaded_at` is written by lastmile from its clock (the feed's age is measured against it);
    ///   the default stays for rows written by older binaries.
    /// The loader already reads, writes and deletes these tables (migration 5); no grant changes.
    static let feedTracking = Migration(
        version: 9, name: "event rows name their file; ingested files can be marked for reprocessing",
        sql: """
            ALTER TABLE lastmile.attendance_day ADD COLUMN file_sha256 text;
            ALTER TABLE lastmile.shelter_stay ADD COLUMN file_sha256 text;
            ALTER TABLE lastmile.bed_night ADD COLUMN file_sha256 text;
            ALTER TABLE lastmile.booking ADD COLUMN file_sha256 text;
            ALTER TABLE lastmile.housing_status ADD COLUMN file_sha256 text;
            ALTER TABLE lastmile.ingested_file ADD COLUMN reprocess boolean NOT NULL DEFAULT false;
            ALTER TABLE lastmile.ingested_file ADD COLUMN reprocessed_run bigint REFERENCES lastmile.run;
            CREATE INDEX ingested_file_source_loaded ON lastmile.ingested_file (source, loaded_at);
            """)
}
