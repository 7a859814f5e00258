extension Migration {
    /// Least privilege: a loader role for the nightly job and a report-reader role for practices.
    ///
    /// - `lastmile_loader` (NOLOGIN group role): reads and writes the schema's tables; grant it to the login
    ///   the cron job uses.
    /// - `lastmile_report_reader` (NOLOGIN group role): reads only the `lastmile.practice_flag` view. Row-level
    ///   security shows a login only the flags **already disclosed to its own practice** (through a delivered
    ///   or written report, which re-checked consent for that practice): a practice cannot read other
    ///   practices' patients, nor flags that consent kept off its lists. Which practice a login acts for is
    ///   recorded by the HIE in `lastmile.practice_login`, never chosen by the session (a session setting
    ///   could be changed by the reader).
    ///
    /// Roles are cluster-wide: when the migrating user may not create roles, the DBA creates them (same
    /// names) and the grants below still apply.
    static let leastPrivilege = Migration(
        version: 4, name: "loader and report-reader roles, row-level security for practices",
        sql: """
            DO $roles$
            BEGIN
                -- Roles are cluster-wide: another database migrating at the same moment may create them
                -- between the check and the CREATE (unique_violation on pg_authid); that is success too.
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lastmile_loader') THEN
                        CREATE ROLE lastmile_loader NOLOGIN;
                    END IF;
                EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
                END;
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lastmile_report_reader') THEN
                        CREATE ROLE lastmile_report_reader NOLOGIN;
                    END IF;
                EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
                END;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create roles; ask the DBA to create lastmile_loader and lastmile_report_reader';
            END
            $roles$;

            -- Which practice each reader login acts for; maintained by the HIE, not by the reader.
            CREATE TABLE lastmile.practice_login (
                login_role  name PRIMARY KEY,
                practice_id text NOT NULL REFERENCES lastmile.practice
            );

            GRANT USAGE ON SCHEMA lastmile TO lastmile_loader, lastmile_report_reader;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA lastmile TO lastmile_loader;
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA lastmile TO lastmile_loader;
            ALTER DEFAULT PRIVILEGES IN SCHEMA lastmile
                GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO lastmile_loader;
            ALTER DEFAULT PRIVILEGES IN SCHEMA lastmile GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO lastmile_loader;

            -- The practice the current login acts for; runs as the owner so readers need no access to the table.
            CREATE FUNCTION lastmile.reader_practice() RETURNS text
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$ SELECT practice_id FROM lastmile.practice_login WHERE login_role = session_user $fn$;
            REVOKE ALL ON FUNCTION lastmile.reader_practice() FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.reader_practice() TO lastmile_report_reader;

            -- Flags disclosed to the reader's practice, with the patient as the practice knows them.
            CREATE VIEW lastmile.practice_flag WITH (security_barrier = true) AS
                SELECT DISTINCT ON (f.flag_id)
                       f.flag_id, f.patient_id, a.practice_patient_id, p.given_name, p.family_name, p.birth_date,
                       f.kind, f.tier, f.status, f.period_start, f.period_end, f.codes, f.evidence, f.source,
                       d.disclosed_at AS first_disclosed_at
                FROM lastmile.flag f
                JOIN lastmile.disclosure d ON d.flag_id = f.flag_id
                JOIN lastmile.patient p ON p.patient_id = f.patient_id
                LEFT JOIN lastmile.attribution a ON a.patient_id = f.patient_id AND a.practice_id = lastmile.reader_practice()
                WHERE d.recipient = 'practice:' || lastmile.reader_practice()
                ORDER BY f.flag_id, d.disclosed_at;
            REVOKE ALL ON lastmile.practice_flag FROM PUBLIC;
            GRANT SELECT ON lastmile.practice_flag TO lastmile_report_reader;

            -- Defence in depth: should a reader ever be granted the flag table itself, it still sees only its
            -- practice's disclosed flags. The owner (the migrating user) is not subject to these policies.
            ALTER TABLE lastmile.flag ENABLE ROW LEVEL SECURITY;
            CREATE POLICY flag_loader ON lastmile.flag TO lastmile_loader USING (true) WITH CHECK (true);
            CREATE POLICY flag_practice_reader ON lastmile.flag FOR SELECT TO lastmile_report_reader
                USING (EXISTS (
                    SELECT 1 FROM lastmile.disclosure d
                    WHERE d.flag_id = flag.flag_id AND d.recipient = 'practice:' || lastmile.reader_practice()));
            """)
}
