extension Migration {
    /// The denominators of issue 16: enrollment spans and school calendars for absences-only school feeds, and
    /// reported totals for aggregate ones.
    ///
    /// `school_enrollment` and `attendance_totals` are event tables like `attendance_day`: only matched,
    /// consented records, keyed by the source's own key, with `patient_id`, the run and the file (migration 9)
    /// that last wrote them.
    /// `school_calendar_day` is reference data of a source (a school and a date, no person), read whole each
    /// night to give every student's enrolled days. The loader reads and writes all three, as it does the other
    /// event tables; no other role sees them.
    static let attendanceShapes = Migration(
        version: 10, name: "enrollment spans, school calendars and attendance totals",
        sql: """
            CREATE TABLE lastmile.school_enrollment (
                source      text NOT NULL,
                student_id  text NOT NULL,
                school_id   text NOT NULL,
                entry_date  date NOT NULL,
                patient_id  text NOT NULL,
                exit_date   date,
                run_id      bigint NOT NULL,
                file_sha256 text,
                PRIMARY KEY (source, student_id, school_id, entry_date),
                CHECK (exit_date IS NULL OR exit_date >= entry_date)
            );
            CREATE INDEX school_enrollment_patient ON lastmile.school_enrollment (patient_id);

            CREATE TABLE lastmile.attendance_totals (
                source         text NOT NULL,
                student_id     text NOT NULL,
                school_id      text NOT NULL,
                as_of          date NOT NULL,
                patient_id     text NOT NULL,
                grade          text,
                days_absent    numeric NOT NULL CHECK (days_absent >= 0),
                days_enrolled  integer NOT NULL CHECK (days_enrolled >= 0),
                run_id         bigint NOT NULL,
                file_sha256    text,
                PRIMARY KEY (source, student_id, school_id, as_of)
            );
            CREATE INDEX attendance_totals_patient ON lastmile.attendance_totals (patient_id);

            CREATE TABLE lastmile.school_calendar_day (
                source         text NOT NULL,
                school_id      text NOT NULL,
                calendar_date  date NOT NULL,
                instructional  boolean NOT NULL,
                run_id         bigint NOT NULL,
                PRIMARY KEY (source, school_id, calendar_date)
            );

            GRANT SELECT, INSERT, UPDATE, DELETE ON
                lastmile.school_enrollment, lastmile.attendance_totals, lastmile.school_calendar_day
                TO lastmile_loader;
            """)
}
