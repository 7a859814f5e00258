extension Migration {
    /// Clerical review of the matcher's uncertain links (docs/matching.md, "Clerical review").
    ///
    /// - `review_queue` gains an item id (what a reviewer types), the demographics hash the item was decided on
    ///   (an accepted item's crosswalk entry carries it, so the person's next records link without the matcher),
    ///   who resolved it and why, the patient it was accepted for, and the run that loaded its held records.
    /// - `review_record`: the records of a person in review, held (as JSON) until a decision links the person;
    ///   the first run after that loads them through consent gate 2 and marks them loaded. They are kept while
    ///   the item exists (an undone accept loads them again after the next accept).
    /// - `never_link`: pairs (source person, patient) the matcher must not link again: a rejected candidate, or
    ///   a link a practice reported as the wrong person.
    /// - `review_decision`: every decision, undo and wrong-person incident, append-only (who, when, why).
    /// - `review_access`: every view of personal data in review (`review show`/`export --show-personal-data`),
    ///   append-only.
    ///
    /// Reviewers act as `lastmile_loader`, like the other administrative commands: it reads and writes the queue
    /// and the held records, adds and removes never-link rules (an undone reject removes its rule), and only
    /// appends to the decision and access logs.
    static let clericalReview = Migration(
        version: 8, name: "clerical review: decisions, held records, never-link rules, access log",
        sql: """
            ALTER TABLE lastmile.review_queue
                ADD COLUMN item_id             bigserial UNIQUE,
                ADD COLUMN demographics_hash   text,
                ADD COLUMN resolved_by         text,
                ADD COLUMN resolution_note     text,
                ADD COLUMN resolved_patient_id text,
                ADD COLUMN applied_run         bigint,
                ADD CONSTRAINT review_resolution_check
                    CHECK (resolution IS NULL OR resolution IN ('accepted', 'rejected', 'deferred'));

            CREATE TABLE lastmile.review_record (
                source           text NOT NULL,
                source_person_id text NOT NULL,
                record_id        text NOT NULL,
                record           jsonb NOT NULL,
                run_id           bigint NOT NULL,
                loaded_run       bigint,
                PRIMARY KEY (source, source_person_id, record_id)
            );

            CREATE TABLE lastmile.never_link (
                source           text NOT NULL,
                source_person_id text NOT NULL,
                patient_id       text NOT NULL,
                reason           text NOT NULL CHECK (reason IN ('rejected', 'wrong-person')),
                item_id          bigint,
                decided_by       text NOT NULL,
                decided_at       timestamptz NOT NULL,
                note             text NOT NULL,
                PRIMARY KEY (source, source_person_id, patient_id)
            );

            CREATE TABLE lastmile.review_decision (
                decision_id      bigserial PRIMARY KEY,
                item_id          bigint,
                source           text NOT NULL,
                source_person_id text NOT NULL,
                action           text NOT NULL
                    CHECK (action IN ('accept', 'reject', 'defer', 'undo', 'wrong-person')),
                patient_id       text,
                decided_by       text NOT NULL CHECK (length(decided_by) > 0),
                decided_at       timestamptz NOT NULL,
                note             text NOT NULL CHECK (length(note) > 0),
                flags_closed     integer NOT NULL DEFAULT 0
            );
            CREATE INDEX review_decision_item ON lastmile.review_decision (item_id);

            CREATE TABLE lastmile.review_access (
                access_id  bigserial PRIMARY KEY,
                viewed_by  text NOT NULL CHECK (length(viewed_by) > 0),
                viewed_at  timestamptz NOT NULL,
                action     text NOT NULL CHECK (action IN ('show', 'export')),
                item_ids   bigint[] NOT NULL
            );

            GRANT SELECT, INSERT, UPDATE, DELETE ON lastmile.review_record TO lastmile_loader;
            GRANT SELECT, INSERT, DELETE ON lastmile.never_link TO lastmile_loader;
            GRANT SELECT, INSERT ON lastmile.review_decision, lastmile.review_access TO lastmile_loader;
            GRANT USAGE, SELECT ON
                lastmile.review_queue_item_id_seq, lastmile.review_decision_decision_id_seq,
                lastmile.review_access_access_id_seq
                TO lastmile_loader;
            """)
}
