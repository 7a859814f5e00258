#!/usr/bin/env python3
"""List recall and list precision of the Monday chronic-absenteeism lists, end to end (issue 15, item 5).

Reads a world written by `lastmile sample-data generate --truth` (truth/students.csv: each student's true
patient and the absences the feed states), the lists the night produced (outbox/PRACTICE/WEEK/*.csv), the
warehouse (crosswalk, review queue, attendance days, flags) and the consent decisions `lastmile consent
explain` gives for the true patient, and prints:

- list recall: of the children truly chronically absent (feed's own days absent / days enrolled >= the
  chronic threshold), attributed to a practice, and consented (a FERPA basis on the roster where the feed
  carries one; the policy permits the load and the release to that practice), the share on that practice's
  list as chronically absent;
- list precision: of the list rows, the share that are the right child with the right absences (the row's
  HIE patient is a student's true patient and its days absent equal the feed's);
- where each missing child was lost: unmatched, in review, linked to another patient, no attendance stored
  (extract or consent gate), no active chronic flag (flags), or flagged but not on the list.

Prints counts and ids of nobody: the output names stages and numbers only.
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def query(db_url, sql):
    out = subprocess.run(["psql", db_url, "-At", "-F", "\t", "-c", sql], check=True, capture_output=True,
                         text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def consent_permits(lastmile, world, patient, source, recipient, as_of):
    args = [lastmile, "consent", "explain", "--patient", patient, "--source", source, "--as-of", as_of]
    if recipient:
        args += ["--recipient", recipient]
    run = subprocess.run(args, cwd=world, capture_output=True, text=True)
    verdicts = [line.strip() for line in run.stdout.splitlines() if line.strip().startswith("=>")]
    return bool(verdicts) and all(v.startswith("=> permit") for v in verdicts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", help="working directory of the night (sample-data/, pipelines/, outbox/)")
    parser.add_argument("--lastmile", required=True)
    parser.add_argument("--db-url", required=True)
    parser.add_argument("--week", required=True, help="the Monday of the lists, YYYY-MM-DD")
    parser.add_argument("--chronic-threshold", type=float, default=0.10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    world = args.world
    truth = read_csv(os.path.join(world, "sample-data/truth/students.csv"))
    attribution = {row["patient_id"]: row["practice_id"]
                   for row in read_csv(os.path.join(world, "sample-data/attribution.csv"))}

    lists = {}  # practice -> {patient id: row}
    for path in glob.glob(os.path.join(world, "outbox", "*", args.week, "absenteeism-*.csv")):
        practice = path.split(os.sep)[-3]
        # An empty list still has one row, which only states the data date.
        lists[practice] = {row["HIE patient ID"]: row for row in read_csv(path) if row["HIE patient ID"]}

    crosswalk = {(s, p): patient for s, p, patient in
                 query(args.db_url, "SELECT source, source_person_id, patient_id FROM lastmile.source_crosswalk")}
    review = {(s, p) for s, p in query(args.db_url,
                                       "SELECT source, source_person_id FROM lastmile.review_queue "
                                       "WHERE resolved_at IS NULL")}
    stored = {(s, p) for s, p in query(args.db_url,
                                       "SELECT DISTINCT source, patient_id FROM lastmile.attendance_day")}
    flagged = {(s, p) for s, p in query(args.db_url,
                                        "SELECT source, patient_id FROM lastmile.flag WHERE status = 'active' "
                                        "AND kind = 'chronic-absenteeism' AND tier IN ('moderate', 'severe')")}

    chronic = [s for s in truth if s["patient_id"] and int(s["days_enrolled"]) > 0
               and float(s["days_absent"]) / int(s["days_enrolled"]) >= args.chronic_threshold
               and s["patient_id"] in attribution]
    questions = {(s["patient_id"], s["source"], recipient) for s in chronic
                 for recipient in (None, f"practice:{attribution[s['patient_id']]}")}
    truth_by_patient = {}
    for student in truth:
        if student["patient_id"]:
            truth_by_patient.setdefault(student["patient_id"], []).append(student)
    # Every list row is asked too: a row that consent denies would be a disclosure that must never happen.
    for practice, by_patient in lists.items():
        for patient in by_patient:
            for student in truth_by_patient.get(patient, []):
                questions |= {(patient, student["source"], None),
                              (patient, student["source"], f"practice:{practice}")}
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(zip(questions, pool.map(
            lambda q: consent_permits(args.lastmile, world, q[0], q[1], q[2], args.week), questions)))

    outcome = Counter()
    for student in truth:
        patient = student["patient_id"]
        absent, enrolled = float(student["days_absent"]), int(student["days_enrolled"])
        if not patient or enrolled == 0 or absent / enrolled < args.chronic_threshold:
            continue
        practice = attribution.get(patient)
        if not practice:
            outcome["not attributed (no list to be on)"] += 1
            continue
        source = student["source"]
        if student["ferpa_basis"] == "" or not (
                answers[(patient, source, None)] and answers[(patient, source, f"practice:{practice}")]):
            outcome["not consented (rightly absent)"] += 1
            continue
        row = lists.get(practice, {}).get(patient)
        key = (source, student["student_id"])
        if row and row["Tier"] in ("Moderate", "Severe"):
            outcome["on the list"] += 1
        elif key not in crosswalk:
            outcome["lost: in review" if key in review else "lost: unmatched"] += 1
        elif crosswalk[key] != patient:
            outcome["lost: linked to another patient"] += 1
        elif (source, patient) not in stored:
            outcome["lost: no attendance stored (extract or consent gate)"] += 1
        elif (source, patient) not in flagged:
            outcome["lost: no active chronic flag (flags)"] += 1
        else:
            outcome["lost: flagged but not on the list (release)"] += 1

    rows = right = right_within_one = denied_rows = 0
    for practice, by_patient in lists.items():
        for patient, row in by_patient.items():
            rows += 1
            days = float(row["Days absent"] or -99)
            students = truth_by_patient.get(patient, [])
            if any(s["ferpa_basis"] == "" or not (answers[(patient, s["source"], None)]
                                                 and answers[(patient, s["source"], f"practice:{practice}")])
                   for s in students):
                denied_rows += 1
            if any(abs(float(s["days_absent"]) - days) < 0.01 for s in students):
                right += 1
            if any(abs(float(s["days_absent"]) - days) <= 1 for s in students):
                right_within_one += 1

    wanted = sum(n for k, n in outcome.items() if k == "on the list" or k.startswith("lost"))
    result = {
        "children_truly_chronic_attributed_consented": wanted,
        "on_list": outcome["on the list"],
        "list_recall": round(outcome["on the list"] / wanted, 4) if wanted else None,
        "list_rows": rows,
        "list_precision": round(right / rows, 4) if rows else None,
        "list_precision_within_one_day": round(right_within_one / rows, 4) if rows else None,
        "list_rows_consent_denies": denied_rows,
        "outcomes": dict(sorted(outcome.items())),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            if key != "outcomes":
                print(f"{key}: {value}")
        for key, value in result["outcomes"].items():
            print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
