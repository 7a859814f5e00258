extension Migration {
    /// Per-table grants in place of migration 4's blanket grant, and a role that imports consent.
    ///
    /// What each role may do (the schema owner, who migrates, may do everything):
    /// - `lastmile_loader` (the nightly run, reports, exports, MPI and attribution imports): reads and writes
    ///   the events, the MPI snapshot, practices and attribution, the crosswalk and the review queue; reads and
    ///   writes but never deletes the run ledger, flags and the report records; reads consent directives; only
    ///   appends to the accounting of disclosures. It cannot read or change `practice_login` (which practice a
    ///   reader acts for), nor write `schema_migration`.
    /// - `lastmile_consent_importer` (`consent import`, and the nightly run when its pipeline names consent
    ///   files): reads, inserts and updates consent directives; deletes nothing.
    /// - `lastmile_report_reader`: unchanged (the `practice_flag` view only).
    /// - Every lastmile role reads `schema_migration`: commands check the schema version before anything else.
    ///
    /// A list re-made before it was delivered replaces that attempt's disclosures through
    /// `lastmile.forget_undelivered_disclosures(report_id)`, which runs as the owner and refuses a delivered
    /// report; a delivered report stays delivered (trigger `report_delivery_is_final`). No default privileges:
    /// a later migration grants what each of its new tables needs.
    static let perTableGrants = Migration(
        version: 5, name: "per-table grants: append-only disclosures, owner-only access control, consent importer",
        sql: """
            DO $roles$
            BEGIN
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lastmile_consent_importer') THEN
                        CREATE ROLE lastmile_consent_importer NOLOGIN;
                    END IF;
                EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
                END;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create roles; ask the DBA to create lastmile_consent_importer';
            END
            $roles$;

            ALTER DEFAULT PRIVILEGES IN SCHEMA lastmile REVOKE ALL ON TABLES FROM lastmile_loader;
            ALTER DEFAULT PRIVILEGES IN SCHEMA lastmile REVOKE ALL ON SEQUENCES FROM lastmile_loader;
            REVOKE ALL ON ALL TABLES IN SCHEMA lastmile FROM lastmile_loader;
            REVOKE ALL ON ALL SEQUENCES IN SCHEMA lastmile FROM lastmile_loader;

            GRANT USAGE ON SCHEMA lastmile TO lastmile_consent_importer;
            GRANT SELECT ON lastmile.schema_migration
                TO lastmile_loader, lastmile_consent_importer, lastmile_report_reader;

            GRANT SELECT, INSERT, UPDATE, DELETE ON
                lastmile.practice, lastmile.patient, lastmile.attribution, lastmile.ingested_file,
                lastmile.rejected_row, lastmile.source_crosswalk, lastmile.review_queue, lastmile.attendance_day,
                lastmile.shelter_stay, lastmile.bed_night, lastmile.booking, lastmile.housing_status
                TO lastmile_loader;
            GRANT SELECT, INSERT, UPDATE ON lastmile.run, lastmile.flag, lastmile.report TO lastmile_loader;
            GRANT SELECT, INSERT ON lastmile.disclosure TO lastmile_loader;
            GRANT SELECT ON lastmile.consent_directive TO lastmile_loader;
            GRANT USAGE, SELECT ON
                lastmile.run_run_id_seq, lastmile.flag_flag_id_seq, lastmile.disclosure_disclosure_id_seq,
                lastmile.report_report_id_seq
                TO lastmile_loader;

            GRANT SELECT, INSERT, UPDATE ON lastmile.consent_directive TO lastmile_consent_importer;

            -- A delivered report stays delivered, so its disclosures can never be made forgettable.
            CREATE FUNCTION lastmile.report_delivery_is_final() RETURNS trigger
                LANGUAGE plpgsql SET search_path = pg_catalog, lastmile
                AS $fn$
                BEGIN
                    IF OLD.delivery_status = 'delivered' AND (NEW.delivery_status <> 'delivered'
                            OR NEW.delivered_at IS DISTINCT FROM OLD.delivered_at) THEN
                        RAISE EXCEPTION 'a delivered report stays delivered' USING ERRCODE = 'insufficient_privilege';
                    END IF;
                    RETURN NEW;
                END
                $fn$;
            CREATE TRIGGER report_delivery_is_final BEFORE UPDATE ON lastmile.report
                FOR EACH ROW EXECUTE FUNCTION lastmile.report_delivery_is_final();

            -- The one way to remove disclosures: those of a report that was never delivered, when it is re-made.
            CREATE FUNCTION lastmile.forget_undelivered_disclosures(target_report bigint) RETURNS bigint
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$
                DECLARE
                    status  text;
                    removed bigint;
                BEGIN
                    SELECT delivery_status INTO status FROM lastmile.report WHERE report_id = target_report FOR UPDATE;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'report % is not recorded', target_report USING ERRCODE = 'no_data_found';
                    END IF;
                    IF status = 'delivered' THEN
                        RAISE EXCEPTION 'report % was delivered: its disclosures are part of the record', target_report
                            USING ERRCODE = 'insufficient_privilege';
                    END IF;
                    DELETE FROM lastmile.disclosure WHERE report_id = target_report;
                    GET DIAGNOSTICS removed = ROW_COUNT;
                    RETURN removed;
                END
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.forget_undelivered_disclosures(bigint) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.forget_undelivered_disclosures(bigint) TO lastmile_loader;
            """)
}
