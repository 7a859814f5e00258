extension Migration {
    /// Every migration, in order. Never edit one that has shipped: add the next version, above every version here
    /// (the last one's is the schema's, `Migrator.latestVersion`; 16 and 17 were never used and stay so).
    public static let all: [Migration] = [
        initialSchema, delivery, leastPrivilege, perTableGrants, disclosureOnce, openReportKinds, clericalReview,
        feedTracking, attendanceShapes, patientMerges, referenceFiles, partitioning,
        reviewSteward, rowHashes, partitionRace, patientRowHash,
    ]

    /// The schema of docs/architecture.md: reference data, consent registry, events, flags, and the ledger.
    ///
    /// Event tables hold only records that matched a patient and passed consent (minimum necessary), keyed by
    /// the source's own record key so a re-sent record replaces what it corrects. Their `run_id` (and the
    /// flag's `created_run`/`updated_run`) record provenance without a foreign key: the ledger row is written
    /// before, outside the run's transaction, and never deleted, and a per-row key check on half a million
    /// rows a night cost more than half of the load stage (docs/benchmarks/nightly.md). Every fact table carries
    /// `patient_id`, the distribution key should the warehouse ever be sharded.
    static let initialSchema = Migration(
        version: 1, name: "initial schema",
        sql: """
            CREATE TABLE lastmile.run (
                run_id       bigserial PRIMARY KEY,
                pipeline     text NOT NULL,
                as_of        date NOT NULL,
                started_at   timestamptz NOT NULL DEFAULT now(),
                finished_at  timestamptz,
                status       text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'dry-run')),
                inputs       jsonb NOT NULL DEFAULT '[]',
                counts       jsonb NOT NULL DEFAULT '{}',
                message      text
            );

            CREATE TABLE lastmile.practice (
                practice_id      text PRIMARY KEY,
                name             text NOT NULL,
                updated_at       timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE lastmile.patient (
                patient_id        text PRIMARY KEY,
                given_name        text,
                family_name       text,
                birth_date        date,
                sex               text,
                street            text,
                city              text,
                state             text,
                postal_code       text,
                phone             text,
                ssn               text,
                demographics_hash text NOT NULL,
                active            boolean NOT NULL DEFAULT true,
                retired_at        timestamptz,
                updated_at        timestamptz NOT NULL DEFAULT now()
            );

            CREATE TABLE lastmile.attribution (
                patient_id          text NOT NULL REFERENCES lastmile.patient,
                practice_id         text NOT NULL REFERENCES lastmile.practice,
                provider_name       text,
                practice_patient_id text,
                updated_at          timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (patient_id, practice_id)
            );
            CREATE INDEX attribution_practice ON lastmile.attribution (practice_id);

            CREATE TABLE lastmile.consent_directive (
                directive_id  text PRIMARY KEY,
                patient_id    text NOT NULL,
                status        text NOT NULL,
                recorded_at   timestamptz,
                grantor_role  text,
                source_format text NOT NULL,
                directive     jsonb NOT NULL,
                imported_at   timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX consent_directive_patient ON lastmile.consent_directive (patient_id);

            CREATE TABLE lastmile.ingested_file (
                source     text NOT NULL,
                sha256     text NOT NULL,
                file_name  text NOT NULL,
                bytes      bigint NOT NULL,
                rows_read  bigint NOT NULL,
                run_id     bigint NOT NULL REFERENCES lastmile.run,
                loaded_at  timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, sha256)
            );

            -- Where a bad row was and why; never its values (those go only to the run's 0600 rejects file).
            CREATE TABLE lastmile.rejected_row (
                run_id      bigint NOT NULL REFERENCES lastmile.run,
                source      text NOT NULL,
                file_name   text NOT NULL,
                line        integer NOT NULL,
                column_name text,
                reason      text NOT NULL
            );
            CREATE INDEX rejected_row_run ON lastmile.rejected_row (run_id);

            CREATE TABLE lastmile.source_crosswalk (
                source            text NOT NULL,
                source_person_id  text NOT NULL,
                patient_id        text NOT NULL,
                match_probability double precision NOT NULL,
                demographics_hash text NOT NULL,
                decided_run       bigint REFERENCES lastmile.run,
                decided_at        timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (source, source_person_id)
            );
            CREATE INDEX source_crosswalk_patient ON lastmile.source_crosswalk (patient_id);

            CREATE TABLE lastmile.review_queue (
                source               text NOT NULL,
                source_person_id     text NOT NULL,
                candidate_patient_id text,
                runner_up_patient_id text,
                match_probability    double precision,
                reason               text NOT NULL,
                run_id               bigint REFERENCES lastmile.run,
                created_at           timestamptz NOT NULL DEFAULT now(),
                resolved_at          timestamptz,
                resolution           text,
                PRIMARY KEY (source, source_person_id)
            );

            CREATE TABLE lastmile.attendance_day (
                source          text NOT NULL,
                student_id      text NOT NULL,
                attendance_date date NOT NULL,
                patient_id      text NOT NULL,
                school_id       text NOT NULL,
                grade           text,
                status          text NOT NULL,
                minutes_absent  integer,
                run_id          bigint NOT NULL,
                PRIMARY KEY (source, student_id, attendance_date)
            );
            CREATE INDEX attendance_day_patient ON lastmile.attendance_day (patient_id);

            CREATE TABLE lastmile.shelter_stay (
                source           text NOT NULL,
                enrollment_id    text NOT NULL,
                patient_id       text NOT NULL,
                project_id       text NOT NULL,
                project_type     integer NOT NULL,
                entry_date       date NOT NULL,
                exit_date        date,
                move_in_date     date,
                exit_destination integer,
                run_id           bigint NOT NULL,
                PRIMARY KEY (source, enrollment_id)
            );
            CREATE INDEX shelter_stay_patient ON lastmile.shelter_stay (patient_id);

            -- One row per night-by-night bed night or outreach contact, so a re-sent night is not counted twice.
            CREATE TABLE lastmile.bed_night (
                source        text NOT NULL,
                enrollment_id text NOT NULL,
                night         date NOT NULL,
                patient_id    text NOT NULL,
                project_type  integer NOT NULL,
                run_id        bigint NOT NULL,
                PRIMARY KEY (source, enrollment_id, night)
            );
            CREATE INDEX bed_night_patient ON lastmile.bed_night (patient_id);

            CREATE TABLE lastmile.booking (
                source         text NOT NULL,
                booking_number text NOT NULL,
                patient_id     text NOT NULL,
                booked_at      timestamp NOT NULL,
                released_at    timestamp,
                facility       text,
                charge_count   integer,
                agency         text,
                run_id         bigint NOT NULL,
                PRIMARY KEY (source, booking_number)
            );
            CREATE INDEX booking_patient ON lastmile.booking (patient_id);

            CREATE TABLE lastmile.housing_status (
                source       text NOT NULL,
                record_id    text NOT NULL,
                patient_id   text NOT NULL,
                record_type  text NOT NULL,
                status       text NOT NULL,
                status_date  date NOT NULL,
                program      text,
                household_id text,
                run_id       bigint NOT NULL,
                PRIMARY KEY (source, record_id)
            );
            CREATE INDEX housing_status_patient ON lastmile.housing_status (patient_id);

            CREATE TABLE lastmile.flag (
                flag_id      bigserial PRIMARY KEY,
                patient_id   text NOT NULL,
                kind         text NOT NULL,
                source       text NOT NULL,
                tier         text NOT NULL DEFAULT '',
                status       text NOT NULL CHECK (status IN ('active', 'inactive')),
                period_start date NOT NULL,
                period_end   date,
                codes        jsonb NOT NULL,
                evidence     jsonb NOT NULL,
                created_run  bigint NOT NULL,
                updated_run  bigint NOT NULL,
                UNIQUE (patient_id, kind, source, period_start)
            );
            CREATE INDEX flag_patient ON lastmile.flag (patient_id);

            CREATE TABLE lastmile.disclosure (
                disclosure_id bigserial PRIMARY KEY,
                patient_id    text NOT NULL,
                flag_id       bigint NOT NULL REFERENCES lastmile.flag,
                recipient     text NOT NULL,
                purpose       text NOT NULL,
                report        text NOT NULL,
                disclosed_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE INDEX disclosure_patient ON lastmile.disclosure (patient_id);
            """)
}
