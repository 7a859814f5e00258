extension Migration {
    /// Issue 19, item 4 (docs/scaling.md, "Partitioning"): the two event tables that hold ~95 % of the rows,
    /// `attendance_day` and `bed_night`, become tables partitioned by school year (July 1 – June 30), one
    /// partition per year, named `<table>_sy<first year>` (`attendance_day_sy2025` holds 2025-07-01 to
    /// 2026-06-30). Their primary keys already include the partition column (`attendance_date`, `night`), so
    /// the loader's `ON CONFLICT` keys are unchanged. The other event tables stay as they are (see the doc).
    ///
    /// The rows move in place, in this migration's transaction: each table is renamed away, the partitioned
    /// table is created with the same columns, key, index and grants, the partitions for the years its rows
    /// fall in are created, the rows are copied, and the old table is dropped.
    ///
    /// There is no default partition: a row of a year without a partition is an error, never a row parked
    /// where a later partition for its year could not be created. Partitions are created on demand by
    /// `lastmile.ensure_school_year_partition(table, year)` and dropped by retention through
    /// `lastmile.drop_school_year_partition(table, year)`: both run as the schema owner (the loader owns no
    /// table and may not run DDL), accept only these two tables and a plausible year, and create or drop only
    /// that one partition. Partitions carry no grants: the loader reads and writes them through their parent.
    static let partitioning = Migration(
        version: 12, name: "attendance days and bed nights partitioned by school year",
        sql: """
            -- The school year a date falls in, named by the calendar year it starts in (July 1).
            CREATE FUNCTION lastmile.school_year_of(d date) RETURNS integer
                LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog
                AS $fn$ SELECT extract(year FROM d)::integer - CASE WHEN extract(month FROM d) < 7 THEN 1 ELSE 0 END $fn$;
            GRANT EXECUTE ON FUNCTION lastmile.school_year_of(date) TO lastmile_loader;

            -- Only the partitioned event tables, only years a school record can plausibly have.
            CREATE FUNCTION lastmile.school_year_partition_name(parent text, school_year integer) RETURNS text
                LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog
                AS $fn$
                BEGIN
                    IF parent IS NULL OR parent NOT IN ('attendance_day', 'bed_night') THEN
                        RAISE EXCEPTION 'not a table partitioned by school year: %', parent
                            USING ERRCODE = 'invalid_parameter_value';
                    END IF;
                    IF school_year IS NULL OR school_year NOT BETWEEN 1900 AND 2999 THEN
                        RAISE EXCEPTION 'not a school year: %', school_year USING ERRCODE = 'invalid_parameter_value';
                    END IF;
                    RETURN parent || '_sy' || school_year;
                END
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.school_year_partition_name(text, integer) FROM PUBLIC;

            -- Creates the partition of `parent` for `school_year` unless it exists; true when it created it.
            CREATE FUNCTION lastmile.ensure_school_year_partition(parent text, school_year integer) RETURNS boolean
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$
                DECLARE
                    part text := lastmile.school_year_partition_name(parent, school_year);
                BEGIN
                    IF to_regclass('lastmile.' || part) IS NOT NULL THEN
                        RETURN false;
                    END IF;
                    -- Two runs creating the same year wait for each other here; the second then finds it.
                    PERFORM pg_advisory_xact_lock(hashtext('lastmile partition ' || part));
                    IF to_regclass('lastmile.' || part) IS NOT NULL THEN
                        RETURN false;
                    END IF;
                    -- Created apart, then attached: ATTACH locks the parent SHARE UPDATE EXCLUSIVE, which runs
                    -- beside other runs reading and writing it, where CREATE … PARTITION OF would lock it
                    -- ACCESS EXCLUSIVE and deadlock with a run that read it earlier in its transaction.
                    EXECUTE format('CREATE TABLE lastmile.%I (LIKE lastmile.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS)',
                        part, parent);
                    EXECUTE format('ALTER TABLE lastmile.%I ATTACH PARTITION lastmile.%I FOR VALUES FROM (%L) TO (%L)',
                        parent, part, make_date(school_year, 7, 1), make_date(school_year + 1, 7, 1));
                    RETURN true;
                END
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.ensure_school_year_partition(text, integer) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.ensure_school_year_partition(text, integer) TO lastmile_loader;

            -- Drops the partition of `parent` for `school_year` (retention); returns the rows it held, or NULL
            -- when there was no such partition. The loader may already delete these rows; this is the cheap way.
            CREATE FUNCTION lastmile.drop_school_year_partition(parent text, school_year integer) RETURNS bigint
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$
                DECLARE
                    part text := lastmile.school_year_partition_name(parent, school_year);
                    held bigint;
                BEGIN
                    IF to_regclass('lastmile.' || part) IS NULL THEN
                        RETURN NULL;
                    END IF;
                    EXECUTE format('SELECT count(*) FROM lastmile.%I', part) INTO held;
                    EXECUTE format('DROP TABLE lastmile.%I', part);
                    RETURN held;
                END
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.drop_school_year_partition(text, integer) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.drop_school_year_partition(text, integer) TO lastmile_loader;

            -- attendance_day: same columns (in order), key, index and grant; rows moved.
            ALTER TABLE lastmile.attendance_day RENAME TO attendance_day_unpartitioned;
            ALTER INDEX lastmile.attendance_day_pkey RENAME TO attendance_day_unpartitioned_pkey;
            ALTER INDEX lastmile.attendance_day_patient RENAME TO attendance_day_unpartitioned_patient;
            CREATE TABLE lastmile.attendance_day (
                LIKE lastmile.attendance_day_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                CONSTRAINT attendance_day_pkey PRIMARY KEY (source, student_id, attendance_date)
            ) PARTITION BY RANGE (attendance_date);
            CREATE INDEX attendance_day_patient ON lastmile.attendance_day (patient_id);
            SELECT lastmile.ensure_school_year_partition('attendance_day', y)
                FROM (SELECT DISTINCT lastmile.school_year_of(attendance_date) AS y
                      FROM lastmile.attendance_day_unpartitioned) years;
            INSERT INTO lastmile.attendance_day SELECT * FROM lastmile.attendance_day_unpartitioned;
            DROP TABLE lastmile.attendance_day_unpartitioned;
            GRANT SELECT, INSERT, UPDATE, DELETE ON lastmile.attendance_day TO lastmile_loader;

            -- bed_night: likewise.
            ALTER TABLE lastmile.bed_night RENAME TO bed_night_unpartitioned;
            ALTER INDEX lastmile.bed_night_pkey RENAME TO bed_night_unpartitioned_pkey;
            ALTER INDEX lastmile.bed_night_patient RENAME TO bed_night_unpartitioned_patient;
            CREATE TABLE lastmile.bed_night (
                LIKE lastmile.bed_night_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS,
                CONSTRAINT bed_night_pkey PRIMARY KEY (source, enrollment_id, night)
            ) PARTITION BY RANGE (night);
            CREATE INDEX bed_night_patient ON lastmile.bed_night (patient_id);
            SELECT lastmile.ensure_school_year_partition('bed_night', y)
                FROM (SELECT DISTINCT lastmile.school_year_of(night) AS y FROM lastmile.bed_night_unpartitioned) years;
            INSERT INTO lastmile.bed_night SELECT * FROM lastmile.bed_night_unpartitioned;
            DROP TABLE lastmile.bed_night_unpartitioned;
            GRANT SELECT, INSERT, UPDATE, DELETE ON lastmile.bed_night TO lastmile_loader;
            """)
}
