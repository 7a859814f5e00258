#!/usr/bin/env python3
"""Writes a synthetic school-attendance file in the default layout: ROWS rows (default 1,000,000, ~125 MB).
Synthetic people only; deterministic for a given seed. Usage: gen_attendance.py OUT [ROWS]"""
import random, sys

out, rows = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = random.Random(20261120)
first = ["Amara", "Diego", "Lena", "Noah", "Maya", "Ivy", "Omar", "Zoe", "Ruth", "Eli", "Grace", "Alan", "Ada", "Mark"]
last = ["Okafor", "Ramirez", "Park", "O'Brien", "Chen", "Nguyen", "Haddad", "Adams", "Bell", "Stone", "Lopez", "Kim"]
schools = [("RUSD-ELM", "Elm Street Elementary"), ("RUSD-MID", "Riverside Middle"), ("RUSD-HS", "Riverside High")]
codes = ["P"] * 12 + ["A", "E", "T", "ED", "H"]
header = ("student_id,first_name,middle_name,last_name,suffix,birth_date,sex,grade,school_id,school_name,"
          "attendance_date,attendance_code,minutes_absent,guardian_name,guardian_phone,address_line,city,state,"
          "postal_code,ferpa_basis\n")
with open(out, "w", newline="") as f:
    f.write(header)
    buf = []
    for i in range(rows):
        student = i % 20000
        r = random.Random(student)
        fn, ln = r.choice(first), r.choice(last)
        school, school_name = r.choice(schools)
        code = rng.choice(codes)
        minutes = str(rng.randint(10, 200)) if code in ("T", "ED", "H") else ""
        day = 17 + (i // 20000) % 12
        month = 8 + day // 31
        buf.append(f"S{student:06d},{fn},,{ln},,{2010 + student % 8}-{1 + student % 12:02d}-{1 + student % 28:02d},"
                   f"{'FM'[student % 2]},{student % 12 + 1:02d},{school},{school_name},"
                   f"2026-{month:02d}-{1 + day % 31:02d},{code},{minutes},{r.choice(first)},"
                   f"555-{student % 10000:04d},{student % 900 + 1} Oak St,Riverside,CA,"
                   f"{92501 + student % 9},parental-consent\n")
        if len(buf) == 10000:
            f.write("".join(buf))
            buf.clear()
    f.write("".join(buf))
