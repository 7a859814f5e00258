extension Migration {
    /// The data steward's gaps in clerical review (issues 15 and 19 follow-up):
    ///
    /// - Patient merges reach review: `candidate_merged_from`, `runner_up_merged_from` and
    ///   `resolved_merged_from` on `review_queue`, and `merged_from` on `never_link`, remember the patient a
    ///   merge moved each reference from, so an unmerge moves back exactly those (as migration 11 does for the
    ///   crosswalk and events). The loader, which applies merges, may update never-link rules.
    /// - `lastmile_reviewer` (NOLOGIN group role), narrower than the loader, for a data steward's login: reads
    ///   the queue, the held records, the MPI snapshot (to compare) and the run ledger (items' ages); records
    ///   decisions on items and held records; reads, adds and removes never-link rules and crosswalk links;
    ///   only appends to the decision and access logs. No event table, flag, disclosure, report, attribution
    ///   or consent directive. An undone accept or a wrong-person report removes the link's events and closes
    ///   its flags only through `lastmile.withdraw_review_link`, which runs as the owner and acts only on a
    ///   link the crosswalk holds.
    static let reviewSteward = Migration(
        version: 14, name: "review follows merges; a reviewer role; withdrawing a link as the owner",
        sql: """
            ALTER TABLE lastmile.review_queue
                ADD COLUMN candidate_merged_from text,
                ADD COLUMN runner_up_merged_from text,
                ADD COLUMN resolved_merged_from  text;
            ALTER TABLE lastmile.never_link ADD COLUMN merged_from text;
            GRANT UPDATE ON lastmile.never_link TO lastmile_loader;

            DO $roles$
            BEGIN
                BEGIN
                    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lastmile_reviewer') THEN
                        CREATE ROLE lastmile_reviewer NOLOGIN;
                    END IF;
                EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL;
                END;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create roles; ask the DBA to create lastmile_reviewer';
            END
            $roles$;

            -- Removes the crosswalk link of a source person to a patient, the events it loaded (the person's
            -- school rows, and the patient's other rows from that source, whose tables do not keep the source
            -- person), and closes the patient's active flags from the source, ending on `closed_on`. Nothing
            -- happens when the crosswalk holds no such link.
            CREATE FUNCTION lastmile.withdraw_review_link(
                link_source text, link_person text, link_patient text, closed_on date,
                OUT events_removed bigint, OUT flags_closed bigint)
                LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$
                DECLARE
                    n bigint;
                BEGIN
                    events_removed := 0;
                    flags_closed := 0;
                    DELETE FROM lastmile.source_crosswalk
                    WHERE source = link_source AND source_person_id = link_person AND patient_id = link_patient;
                    IF NOT FOUND THEN
                        RETURN;
                    END IF;
                    DELETE FROM lastmile.attendance_day
                    WHERE source = link_source AND patient_id = link_patient AND student_id = link_person;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    DELETE FROM lastmile.school_enrollment
                    WHERE source = link_source AND patient_id = link_patient AND student_id = link_person;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    DELETE FROM lastmile.attendance_totals
                    WHERE source = link_source AND patient_id = link_patient AND student_id = link_person;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    DELETE FROM lastmile.shelter_stay WHERE source = link_source AND patient_id = link_patient;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    DELETE FROM lastmile.bed_night WHERE source = link_source AND patient_id = link_patient;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    DELETE FROM lastmile.booking WHERE source = link_source AND patient_id = link_patient;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    DELETE FROM lastmile.housing_status WHERE source = link_source AND patient_id = link_patient;
                    GET DIAGNOSTICS n = ROW_COUNT; events_removed := events_removed + n;
                    UPDATE lastmile.flag SET status = 'inactive', period_end = greatest(period_start, closed_on)
                    WHERE source = link_source AND patient_id = link_patient AND status = 'active';
                    GET DIAGNOSTICS flags_closed = ROW_COUNT;
                END
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.withdraw_review_link(text, text, text, date) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.withdraw_review_link(text, text, text, date)
                TO lastmile_loader, lastmile_reviewer;

            GRANT USAGE ON SCHEMA lastmile TO lastmile_reviewer;
            GRANT SELECT ON lastmile.schema_migration, lastmile.run, lastmile.patient TO lastmile_reviewer;
            GRANT SELECT ON lastmile.review_queue, lastmile.review_record TO lastmile_reviewer;
            GRANT UPDATE (resolution, resolved_patient_id, resolved_by, resolution_note, resolved_at, applied_run)
                ON lastmile.review_queue TO lastmile_reviewer;
            GRANT UPDATE (loaded_run) ON lastmile.review_record TO lastmile_reviewer;
            GRANT SELECT, INSERT, UPDATE, DELETE ON lastmile.source_crosswalk TO lastmile_reviewer;
            GRANT SELECT, INSERT, DELETE ON lastmile.never_link TO lastmile_reviewer;
            GRANT SELECT, INSERT ON lastmile.review_decision, lastmile.review_access TO lastmile_reviewer;
            GRANT USAGE, SELECT ON lastmile.review_decision_decision_id_seq, lastmile.review_access_access_id_seq
                TO lastmile_reviewer;
            """)
}
