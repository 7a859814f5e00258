extension Migration {
    /// Issue 19, item 1 (docs/scaling.md, "A following night costs what changed"): every event table keeps, with
    /// each row, `row_hash`, the first 16 bytes of the SHA-256 of the row as the loader writes it (its key, its
    /// patient and every compared column, in COPY text form; not the file it last came from). The loader reads a
    /// source's hashes once per table and load, and sends neither to staging nor to the table a re-sent record
    /// whose row is stored exactly so (`EventStore`).
    ///
    /// A row's hash is only ever a claim the loader made when it wrote the row. So that no other writer can
    /// leave a hash describing a row that is no longer there, an update that changes a row but keeps its hash (a
    /// patient merge moving `patient_id`, a future fix in SQL) clears it: a row without a hash is never skipped,
    /// and the loader writes its hash again the next time the row is re-sent unchanged. Rows stored before this
    /// migration have none yet; the first night that re-sends them fills it in.
    static let rowHashes = Migration(
        version: 15, name: "a content hash with each event row",
        sql: """
            ALTER TABLE lastmile.attendance_day ADD COLUMN row_hash bytea;
            ALTER TABLE lastmile.school_enrollment ADD COLUMN row_hash bytea;
            ALTER TABLE lastmile.attendance_totals ADD COLUMN row_hash bytea;
            ALTER TABLE lastmile.shelter_stay ADD COLUMN row_hash bytea;
            ALTER TABLE lastmile.bed_night ADD COLUMN row_hash bytea;
            ALTER TABLE lastmile.booking ADD COLUMN row_hash bytea;
            ALTER TABLE lastmile.housing_status ADD COLUMN row_hash bytea;

            CREATE FUNCTION lastmile.clear_kept_row_hash() RETURNS trigger
                LANGUAGE plpgsql SET search_path = pg_catalog
                AS $fn$
                BEGIN
                    NEW.row_hash := NULL;
                    RETURN NEW;
                END
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.clear_kept_row_hash() FROM PUBLIC;

            DO $triggers$
            DECLARE
                t text;
            BEGIN
                FOREACH t IN ARRAY ARRAY['attendance_day', 'school_enrollment', 'attendance_totals', 'shelter_stay',
                                         'bed_night', 'booking', 'housing_status']
                LOOP
                    EXECUTE format(
                        'CREATE TRIGGER row_hash_kept_by_update BEFORE UPDATE ON lastmile.%I FOR EACH ROW '
                        'WHEN (OLD.row_hash IS NOT NULL AND NEW.row_hash IS NOT DISTINCT FROM OLD.row_hash '
                        'AND OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION lastmile.clear_kept_row_hash()', t);
                END LOOP;
            END
            $triggers$;
            """)
}
