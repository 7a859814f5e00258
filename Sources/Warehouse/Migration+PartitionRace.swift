extension Migration {
    /// Two concurrent `--source` runs creating the same school year's partition: the second waited on the
    /// advisory lock, yet its catalog lookup (`to_regclass`) could still miss the table the first had just
    /// committed (an advisory lock does not make the session read the catalog's invalidations), and its
    /// `CREATE TABLE` then failed with 42P07, failing that run (seen in `ConcurrentSourcesTests`). The
    /// function now treats "already exists" on create or attach as "another run made it".
    static let partitionRace = Migration(
        version: 18, name: "a school year's partition created by two runs at once",
        sql: """
            CREATE OR REPLACE FUNCTION lastmile.ensure_school_year_partition(parent text, school_year integer)
                RETURNS boolean
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$
                DECLARE
                    part text := lastmile.school_year_partition_name(parent, school_year);
                BEGIN
                    IF to_regclass('lastmile.' || part) IS NOT NULL THEN
                        RETURN false;
                    END IF;
                    PERFORM pg_advisory_xact_lock(hashtext('lastmile partition ' || part));
                    IF to_regclass('lastmile.' || part) IS NOT NULL THEN
                        RETURN false;
                    END IF;
                    BEGIN
                        -- Created apart, then attached (see migration 12: PARTITION OF deadlocked).
                        EXECUTE format(
                            'CREATE TABLE lastmile.%I (LIKE lastmile.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                            part, parent);
                        EXECUTE format(
                            'ALTER TABLE lastmile.%I ATTACH PARTITION lastmile.%I FOR VALUES FROM (%L) TO (%L)',
                            parent, part, make_date(school_year, 7, 1), make_date(school_year + 1, 7, 1));
                    EXCEPTION WHEN duplicate_table OR duplicate_object OR unique_violation THEN
                        RETURN false;
                    END;
                    RETURN true;
                END
                $fn$;
            """)
}
