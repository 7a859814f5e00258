#!/usr/bin/env python3
"""Link MPI and incoming canonical person CSVs with Splink 5 (DuckDB), the reference for bench/match.sh.

The configuration follows /work/shared/reference/matching-notes.md: blocking on names, birth date, family name +
birth year, postal code + first three letters of the given name, SSN and phone; "full" compares every shared
field, "core" only given name, family name, birth date, SSN and sex. No labels: the prior from deterministic
rules at recall 0.7, u from 10^7 random pairs, m by EM on a birth-date block then a names block. Each incoming
record keeps its best candidate, written when its match probability is at least 0.5.

  match_splink.py --mpi M.csv --incoming I.csv --out LINKS.csv --config full|core
"""
import argparse
import csv
import logging

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

CLEAN = """
    id AS unique_id,
    nullif(lower(trim(given_name)), '') AS given_name,
    nullif(lower(trim(family_name)), '') AS family_name,
    nullif(trim(birth_date), '') AS birth_date,
    nullif(upper(trim(sex)), '') AS sex,
    nullif(lower(trim(street)), '') AS street,
    nullif(lower(trim(city)), '') AS city,
    nullif(regexp_replace(postal_code, '[^0-9]', '', 'g'), '') AS postal_code,
    nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '') AS phone,
    nullif(regexp_replace(ssn, '[^0-9]', '', 'g'), '') AS ssn
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mpi", required=True)
    ap.add_argument("--incoming", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", choices=["full", "core"], default="full")
    ap.add_argument("--max-pairs", type=float, default=1e7)
    a = ap.parse_args()
    logging.getLogger("splink").setLevel(logging.WARNING)

    con = duckdb.connect()
    for name, path in (("mpi", a.mpi), ("incoming", a.incoming)):
        con.execute(
            f"CREATE TABLE {name} AS SELECT {CLEAN} FROM read_csv('{path}', all_varchar=true, header=true)"
        )
    db = DuckDBAPI(connection=con)
    left = db.register("mpi", dataset_display_name="mpi", table_name="mpi_in")
    right = db.register("incoming", dataset_display_name="incoming", table_name="incoming_in")

    comparisons = [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("birth_date", input_is_string=True),
        cl.DamerauLevenshteinAtThresholds("ssn", [1, 2]),
        cl.ExactMatch("sex"),
    ]
    if a.config == "full":
        comparisons += [
            cl.LevenshteinAtThresholds("street", [2, 5]),
            cl.ExactMatch("postal_code").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("phone", [1]),
        ]
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("birth_date"),
            block_on("family_name", "substr(birth_date, 1, 4)"),
            block_on("postal_code", "substr(given_name, 1, 3)"),
            block_on("ssn"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker([left, right], settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "family_name", "birth_date"),
            "l.given_name = r.family_name AND l.family_name = r.given_name AND l.birth_date = r.birth_date",
            block_on("ssn", "birth_date"),
        ],
        recall=0.7,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=a.max_pairs, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "family_name"))
    pred = linker.inference.predict(threshold_match_probability=0.5)

    # Best candidate per incoming record; fetch every result (DuckDB refuses work with one pending).
    rows = con.execute(f"""
        WITH p AS (
            SELECT CASE WHEN source_dataset_l = 'incoming' THEN unique_id_l ELSE unique_id_r END AS incoming_id,
                   CASE WHEN source_dataset_l = 'incoming' THEN unique_id_r ELSE unique_id_l END AS mpi_id,
                   match_probability
            FROM {pred.physical_name})
        SELECT incoming_id, mpi_id, match_probability FROM (
            SELECT *, row_number() OVER (PARTITION BY incoming_id ORDER BY match_probability DESC, mpi_id) AS rank
            FROM p) WHERE rank = 1 ORDER BY incoming_id
    """).fetchall()
    with open(a.out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["incoming_id", "mpi_id", "match_probability"])
        for r in rows:
            w.writerow([r[0], r[1], f"{r[2]:.6f}"])


if __name__ == "__main__":
    main()
