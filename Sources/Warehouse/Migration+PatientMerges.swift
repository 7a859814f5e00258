extension Migration {
    /// Patient merges and unmerges as the EMPI sends them (an ADT A40, a FHIR Patient `replaced-by` link).
    ///
    /// - `lastmile.patient_merge` records each merge of a patient into a surviving one, and when it was undone.
    ///   It is the table the accounting of disclosures reads: a disclosure keeps the patient id it was recorded
    ///   under, and `lastmile.surviving_patient(id)` names the patient that id now belongs to.
    /// - `merged_from` on the crosswalk, the event tables and attribution: the patient a row belonged to before
    ///   a merge moved it to the survivor (NULL for a row never moved), so an unmerge moves back exactly the
    ///   rows that came from the merged patient.
    /// - The loader reads and records merges and their undoing; it deletes none. The consent importer reads
    ///   them (a merged patient's directives hold for the survivor).
    static let patientMerges = Migration(
        version: 11, name: "patient merges: a merge table, merged_from on moved rows",
        sql: """
            CREATE TABLE lastmile.patient_merge (
                merge_id             bigserial PRIMARY KEY,
                merged_patient_id    text NOT NULL REFERENCES lastmile.patient,
                surviving_patient_id text NOT NULL REFERENCES lastmile.patient,
                merged_at            timestamptz NOT NULL,
                unmerged_at          timestamptz,
                CHECK (merged_patient_id <> surviving_patient_id)
            );
            -- A patient is merged into at most one survivor at a time.
            CREATE UNIQUE INDEX patient_merge_current ON lastmile.patient_merge (merged_patient_id)
                WHERE unmerged_at IS NULL;
            CREATE INDEX patient_merge_surviving ON lastmile.patient_merge (surviving_patient_id)
                WHERE unmerged_at IS NULL;

            ALTER TABLE lastmile.source_crosswalk ADD COLUMN merged_from text;
            ALTER TABLE lastmile.attendance_day ADD COLUMN merged_from text;
            ALTER TABLE lastmile.school_enrollment ADD COLUMN merged_from text;
            ALTER TABLE lastmile.attendance_totals ADD COLUMN merged_from text;
            ALTER TABLE lastmile.shelter_stay ADD COLUMN merged_from text;
            ALTER TABLE lastmile.bed_night ADD COLUMN merged_from text;
            ALTER TABLE lastmile.booking ADD COLUMN merged_from text;
            ALTER TABLE lastmile.housing_status ADD COLUMN merged_from text;
            ALTER TABLE lastmile.attribution ADD COLUMN merged_from text;

            -- The patient `id` now belongs to: itself, or the end of its chain of current merges.
            CREATE FUNCTION lastmile.surviving_patient(id text) RETURNS text
                LANGUAGE sql STABLE SET search_path = pg_catalog, lastmile
                AS $fn$
                    WITH RECURSIVE chain(patient_id, depth) AS (
                        SELECT id, 0
                        UNION ALL
                        SELECT m.surviving_patient_id, c.depth + 1
                        FROM lastmile.patient_merge m JOIN chain c ON m.merged_patient_id = c.patient_id
                        WHERE m.unmerged_at IS NULL AND c.depth < 100
                    )
                    SELECT patient_id FROM chain ORDER BY depth DESC LIMIT 1
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.surviving_patient(text) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.surviving_patient(text) TO lastmile_loader;

            GRANT SELECT, INSERT, UPDATE ON lastmile.patient_merge TO lastmile_loader;
            -- A merged patient's consent directives hold for the survivor: whoever reads directives reads merges.
            GRANT SELECT ON lastmile.patient_merge TO lastmile_consent_importer;
            GRANT USAGE, SELECT ON lastmile.patient_merge_merge_id_seq TO lastmile_loader;
            """)
}
