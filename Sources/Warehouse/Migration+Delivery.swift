extension Migration {
    /// Reports and exports as written and delivered, and the link from each disclosure to its report.
    ///
    /// One `report` row per written report: an absenteeism list per (practice, week), or one FHIR export.
    /// Its delivery columns say whether the delivery command succeeded (`delivered`, with `delivered_at`),
    /// failed (`failed`: retried on the next run), has not run yet (`pending`) or is not configured.
    static let delivery = Migration(
        version: 3, name: "reports and deliveries",
        sql: """
            CREATE TABLE lastmile.report (
                report_id        bigserial PRIMARY KEY,
                kind             text NOT NULL CHECK (kind IN ('absenteeism', 'fhir-export')),
                name             text NOT NULL UNIQUE,
                practice_id      text,
                recipient        text NOT NULL,
                purpose          text NOT NULL,
                week_of          date,
                directory        text NOT NULL,
                files            jsonb NOT NULL DEFAULT '[]',
                sha256           text NOT NULL,
                patients         integer NOT NULL,
                flags            integer NOT NULL,
                created_at       timestamptz NOT NULL DEFAULT now(),
                delivery_status  text NOT NULL
                    CHECK (delivery_status IN ('not-configured', 'pending', 'failed', 'delivered')),
                attempts         integer NOT NULL DEFAULT 0,
                last_exit_status integer,
                last_attempt_at  timestamptz,
                delivered_at     timestamptz,
                CHECK ((delivery_status = 'delivered') = (delivered_at IS NOT NULL))
            );
            CREATE INDEX report_practice_week ON lastmile.report (practice_id, week_of);
            CREATE INDEX report_undelivered ON lastmile.report (delivery_status)
                WHERE delivery_status IN ('pending', 'failed');

            ALTER TABLE lastmile.disclosure ADD COLUMN report_id bigint REFERENCES lastmile.report;
            CREATE INDEX disclosure_report ON lastmile.disclosure (report_id);
            """)
}
