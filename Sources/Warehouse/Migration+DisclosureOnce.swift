extension Migration {
    /// The accounting of disclosures lists what left the HIE, once.
    ///
    /// - A report re-made while its delivery is `pending` or `failed` (its files never left the outbox) has its
    ///   disclosures replaced through migration 5's owner-run `lastmile.forget_undelivered_disclosures`, in the
    ///   transaction that records the new version's; nothing of a delivered report is removed, nor of one
    ///   without a delivery command (its outbox is the hand-over: what was written there counts).
    /// - `lastmile.practice_flag` (and the reader's row policy on `lastmile.flag`) show a flag only once it was
    ///   disclosed: through a delivered report, a report without a delivery command, or a disclosure recorded
    ///   without a report. A list still waiting for (or failing) delivery shows nothing to the practice.
    static let disclosureOnce = Migration(
        version: 6, name: "disclosures of undelivered reports are replaced; readers see only what was disclosed",
        sql: """
            -- Whether a disclosure left the HIE (its report was delivered or has no delivery command).
            CREATE FUNCTION lastmile.disclosure_left(disclosed_report bigint) RETURNS boolean
                LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, lastmile
                AS $fn$
                    SELECT disclosed_report IS NULL OR EXISTS (
                        SELECT 1 FROM lastmile.report r
                        WHERE r.report_id = disclosed_report
                          AND r.delivery_status IN ('delivered', 'not-configured'))
                $fn$;
            REVOKE ALL ON FUNCTION lastmile.disclosure_left(bigint) FROM PUBLIC;
            GRANT EXECUTE ON FUNCTION lastmile.disclosure_left(bigint) TO lastmile_loader, lastmile_report_reader;

            CREATE OR REPLACE VIEW lastmile.practice_flag WITH (security_barrier = true) AS
                SELECT DISTINCT ON (f.flag_id)
                       f.flag_id, f.patient_id, a.practice_patient_id, p.given_name, p.family_name, p.birth_date,
                       f.kind, f.tier, f.status, f.period_start, f.period_end, f.codes, f.evidence, f.source,
                       d.disclosed_at AS first_disclosed_at
                FROM lastmile.flag f
                JOIN lastmile.disclosure d ON d.flag_id = f.flag_id
                JOIN lastmile.patient p ON p.patient_id = f.patient_id
                LEFT JOIN lastmile.attribution a
                    ON a.patient_id = f.patient_id AND a.practice_id = lastmile.reader_practice()
                WHERE d.recipient = 'practice:' || lastmile.reader_practice()
                  AND lastmile.disclosure_left(d.report_id)
                ORDER BY f.flag_id, d.disclosed_at;

            DROP POLICY flag_practice_reader ON lastmile.flag;
            CREATE POLICY flag_practice_reader ON lastmile.flag FOR SELECT TO lastmile_report_reader
                USING (EXISTS (
                    SELECT 1 FROM lastmile.disclosure d
                    WHERE d.flag_id = flag.flag_id AND d.recipient = 'practice:' || lastmile.reader_practice()
                      AND lastmile.disclosure_left(d.report_id)));
            """)
}
