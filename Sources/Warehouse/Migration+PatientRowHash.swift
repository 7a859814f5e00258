extension Migration {
    /// Issue 19 (docs/scaling.md): each patient row keeps the 64-bit hash of its id and every demographic column
    /// the matcher reads, as a stored generated column. The kept MPI index is checked every night against the sum
    /// of the active patients' hashes; computing each row's hash in that scan (the row as text, then hashed)
    /// cost 0.8 s at 1M patients and 7 s at 10M, a following night's largest single wait. PostgreSQL keeps a
    /// generated column right through any write by any role, so the check still sees every change, whatever
    /// made it.
    ///
    /// The expression must be immutable: each text column is written as its length, a colon and itself (NULL
    /// as `-`, so NULL and empty text differ and no two rows' texts run together), the birth date as days
    /// since 2000-01-01 (a date's text form depends on the session's `DateStyle`).
    static let patientRowHash = Migration(
        version: 19, name: "a stored hash of each patient row",
        sql: """
            ALTER TABLE lastmile.patient ADD COLUMN row_hash bigint GENERATED ALWAYS AS (
                hashtextextended(
                    length(patient_id)::text || ':' || patient_id
                    || '|' || coalesce(length(given_name)::text || ':' || given_name, '-')
                    || '|' || coalesce(length(family_name)::text || ':' || family_name, '-')
                    || '|' || coalesce((birth_date - DATE '2000-01-01')::text, '-')
                    || '|' || coalesce(length(sex)::text || ':' || sex, '-')
                    || '|' || coalesce(length(street)::text || ':' || street, '-')
                    || '|' || coalesce(length(city)::text || ':' || city, '-')
                    || '|' || coalesce(length(state)::text || ':' || state, '-')
                    || '|' || coalesce(length(postal_code)::text || ':' || postal_code, '-')
                    || '|' || coalesce(length(phone)::text || ':' || phone, '-')
                    || '|' || coalesce(length(ssn)::text || ':' || ssn, '-'),
                    0)
            ) STORED;
            """)
}
