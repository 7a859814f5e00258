#!/usr/bin/env python3
"""An independent generator of whole school worlds, for list recall (bench/list-recall.sh).

Written apart from `lastmile sample-data` (Swift) on purpose: other names (Faker, English and Spanish locales),
other household shapes, other error kinds and rates, a continuous absence rate instead of tiers, another school
calendar. It writes, under OUT/sample-data/, what the committed world has for the two school sources:
mpi.csv, practices.csv, attribution.csv, consent-directives.csv, the Riverside-layout attendance file, the
Ed-Fi attendance-event file, and truth/students.csv in the schema of `sample-data generate --truth`.

Everything is synthetic. Seeded: the same seed writes the same files.
"""
import argparse
import csv
import datetime as dt
import os
import random

from faker import Faker

NICKNAMES = {
    "Elizabeth": ["Liz", "Beth", "Eliza"], "William": ["Will", "Billy"], "Robert": ["Rob", "Bobby"],
    "Katherine": ["Kate", "Katie"], "Alexander": ["Alex", "Xander"], "Christopher": ["Chris", "Topher"],
    "Daniel": ["Dan", "Danny"], "Michael": ["Mike", "Mikey"], "Jennifer": ["Jen", "Jenny"],
    "Samuel": ["Sam", "Sammy"], "Benjamin": ["Ben", "Benny"], "Joseph": ["Joe", "Joey"],
    "Nicholas": ["Nick", "Nico"], "Matthew": ["Matt"], "Anthony": ["Tony"], "Margaret": ["Maggie", "Peggy"],
    "Isabella": ["Bella", "Izzy"], "Abigail": ["Abby"], "Alejandro": ["Alex", "Ale"], "Guadalupe": ["Lupe"],
    "Francisco": ["Paco", "Pancho"], "José": ["Pepe"], "Santiago": ["Santi"], "Jonathan": ["Jon", "Johnny"],
    "Victoria": ["Vicky", "Tori"], "Jacob": ["Jake"], "Andrew": ["Andy", "Drew"], "Gabriel": ["Gabe"],
    "Natalie": ["Nat"], "Olivia": ["Liv"], "Timothy": ["Tim"], "Rebecca": ["Becky"], "Zachary": ["Zach"],
}
FAMILY_PRACTICES = ["northside-family", "valley-family", "harbor-community"]
DISTRICTS = [
    {"source": "riverside-usd", "practice": "riverside-peds", "prefix": "RP", "towns": ["Riverside", "Millbrook"],
     "zips": ["97401", "97403", "97411"], "schools": [("101", "Riverside Elementary School", range(0, 6)),
                                                     ("201", "Riverside Middle School", range(6, 9)),
                                                     ("301", "Riverside High School", range(9, 13))]},
    {"source": "lakeside-edfi", "practice": "lakeside-childrens", "prefix": "LC", "towns": ["Lakeside", "Fairmont"],
     "zips": ["97446", "97447"], "schools": [("255901107", "Lakeside Elementary", range(0, 6)),
                                            ("255901044", "Lakeside Middle", range(6, 9)),
                                            ("255901001", "Lakeside High", range(9, 13))]},
]
SCHOOL_START = dt.date(2026, 8, 24)
HOLIDAYS = {dt.date(2026, 9, 7), dt.date(2026, 11, 11), dt.date(2026, 11, 26), dt.date(2026, 11, 27)}


def school_days(as_of):
    days, day = [], SCHOOL_START
    while day <= as_of:
        if day.weekday() < 5 and day not in HOLIDAYS:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def typo(rng, text):
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return text[:i] + text[i + 1:]  # a letter dropped
    if kind == 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]  # two letters swapped
    return text[:i] + text[i] + text[i:]  # a letter doubled


class World:
    def __init__(self, seed, people, as_of):
        self.rng = random.Random(seed)
        self.fakers = {"en": Faker("en_US"), "es": Faker("es_MX")}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed * 10 + i)
        self.as_of = as_of
        self.people = []
        while len(self.people) < people:
            self.household()

    def address(self, district):
        f = self.fakers["en"]
        return {"street": f"{self.rng.randint(10, 19999)} {f.street_name()} {f.street_suffix()}",
                "city": self.rng.choice(district["towns"]), "postal_code": self.rng.choice(district["zips"]),
                "phone": f"{self.rng.randint(200, 989)}-{self.rng.randint(200, 999)}-{self.rng.randint(0, 9999):04d}"}

    def household(self):
        rng = self.rng
        locale = "es" if rng.random() < 0.3 else "en"
        f = self.fakers[locale]
        district_index = rng.randrange(len(DISTRICTS))
        district = DISTRICTS[district_index]
        family = f.last_name()
        first_surname = family
        if locale == "es" and rng.random() < 0.5:
            family = f"{family} {f.last_name()}"  # two surnames, often shortened to the first by a school
        home = self.address(district)
        moved = self.address(district) if rng.random() < 0.12 else None
        key = len(self.people)
        parents = []
        for role_sex in ["F", "M"][: rng.choice([1, 2, 2])]:
            born = self.as_of - dt.timedelta(days=rng.randint(24 * 365, 50 * 365))
            given = f.first_name_female() if role_sex == "F" else f.first_name_male()
            parents.append({"given": given, "family": family, "birth": born, "sex": role_sex, "adult": True})
        children = []
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 4])):
            sex = rng.choice("FM")
            born = self.as_of - dt.timedelta(days=rng.randint(5 * 365 + 60, 17 * 365))
            given = f.first_name_female() if sex == "F" else f.first_name_male()
            children.append({"given": given, "family": family, "birth": born, "sex": sex, "adult": False})
            if rng.random() < 0.04:  # twins: same birth date, a sibling's name (sometimes the same initial)
                twin_sex = rng.choice("FM")
                name = f.first_name_female() if twin_sex == "F" else f.first_name_male()
                children.append({"given": name, "family": family, "birth": born, "sex": twin_sex, "adult": False})
        if parents and children and parents[-1]["sex"] == "M" and rng.random() < 0.1:
            junior = next((c for c in children if c["sex"] == "M"), None)
            if junior:
                junior["given"], junior["suffix"] = parents[-1]["given"], "Jr"
        for person in parents + children:
            person.update(key=key, district=district_index, home=home, moved=moved, locale=locale,
                          first_surname=first_surname)
            person["patient"] = rng.random() < (0.85 if not person["adult"] else 0.7)
            key += 1
            self.people.append(person)


def recorded_names(rng, person, nickname_rate, typo_rate):
    given, family = person["given"], person["family"]
    if rng.random() < nickname_rate and given in NICKNAMES:
        given = rng.choice(NICKNAMES[given])
    if rng.random() < typo_rate:
        given = typo(rng, given)
    if rng.random() < typo_rate:
        family = typo(rng, family)
    if family != person["first_surname"] and rng.random() < 0.4:
        family = person["first_surname"]
    return given, family


def recorded_birth(rng, born, swap_rate):
    if rng.random() < swap_rate and born.day <= 12 and born.day != born.month:
        return dt.date(born.year, born.day, born.month)
    if rng.random() < swap_rate:
        return born + dt.timedelta(days=rng.choice([-1, 1]))
    return born


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=6000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-12-04")
    parser.add_argument("--out", required=True, help="the working directory; files go to OUT/sample-data/")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    world = World(args.seed, args.people, as_of)
    rng = random.Random(args.seed + 1)
    base = os.path.join(args.out, "sample-data")
    stamp = as_of.isoformat()

    ids = rng.sample(range(100000, 999999), len(world.people))
    for person, number in zip(world.people, ids):
        person["id"] = f"P{number}" if person["patient"] else ""
    patients = [p for p in world.people if p["patient"]]
    mpi = []
    for p in patients:
        given = typo(rng, p["given"]) if rng.random() < 0.01 else p["given"]
        born = recorded_birth(rng, p["birth"], 0.005)
        ssn = "" if not p["adult"] and rng.random() < 0.6 else f"{rng.randint(100, 665):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        mpi.append([p["id"], given, p["family"], born.isoformat(),
                    p["sex"], p["home"]["street"], p["home"]["city"], "OR", p["home"]["postal_code"],
                    p["home"]["phone"] if rng.random() < 0.8 else "", ssn])
    write(os.path.join(base, "mpi.csv"),
          ["id", "given_name", "family_name", "birth_date", "sex", "street", "city", "state", "postal_code", "phone",
           "ssn"], mpi)
    write(os.path.join(base, "practices.csv"), ["practice_id", "practice_name"],
          [["riverside-peds", "Riverside Pediatrics"], ["lakeside-childrens", "Lakeside Children's Clinic"],
           ["northside-family", "Northside Family Medicine"], ["valley-family", "Valley Family Practice"],
           ["harbor-community", "Harbor Community Health"]])
    attribution, chart = [], 50000
    for p in patients:
        roll = rng.random()
        if not p["adult"] and roll < 0.82:
            practice, prefix = DISTRICTS[p["district"]]["practice"], DISTRICTS[p["district"]]["prefix"]
        elif roll < 0.92:
            practice, prefix = rng.choice(FAMILY_PRACTICES), "FP"
        else:
            continue
        chart += rng.randint(1, 9)
        attribution.append([p["id"], practice, "Dr. Example", f"{prefix}-{chart}"])
    write(os.path.join(base, "attribution.csv"),
          ["patient_id", "practice_id", "provider_name", "practice_patient_id"], attribution)
    directives = []
    for p in patients:
        if rng.random() < 0.03:
            directives.append([f"IW-{len(directives) + 1:04d}", p["id"], "deny", "", "", "", "", "2026-03-01", "",
                               "2026-03-01", "active", "self" if p["adult"] else "parent"])
    write(os.path.join(base, "consent-directives.csv"),
          ["directive_id", "patient_id", "type", "category", "source", "purpose", "recipient", "period_start",
           "period_end", "recorded_at", "status", "grantor_role"], directives)

    days = school_days(as_of)
    truth, river, edfi = [], [], []
    student_numbers = iter(rng.sample(range(1000000, 9999999), len(world.people)))
    for person in world.people:
        grade = (SCHOOL_START.year - person["birth"].year) - 5 - (
            1 if (person["birth"].month, person["birth"].day) > (9, 1) else 0)
        if person["adult"] or not 0 <= grade <= 12:
            continue
        district = DISTRICTS[person["district"]]
        school = next(s for s in district["schools"] if grade in s[2])
        student_id = str(next(student_numbers))
        first, last = 0, len(days)
        roll = rng.random()
        if roll < 0.05:
            first = rng.randrange(10, max(11, len(days) - 15))  # enrolled late
        elif roll < 0.08:
            last = rng.randrange(min(15, len(days) - 1), len(days))  # withdrew
        rate = rng.betavariate(1.1, 15)
        given, family = recorded_names(rng, person, 0.10, 0.04)
        born = recorded_birth(rng, person["birth"], 0.02)
        where = person["moved"] or person["home"]
        ferpa = rng.choices(["parental-consent", "health-safety", ""], [85, 5, 10])[0]
        absent = 0.0
        for day in days[first:last]:
            code, minutes = "P", ""
            if rng.random() < rate:
                code = rng.choice(["A", "E", "E", "H"])
                minutes = str(rng.randint(200, 300)) if code == "H" else ""
            elif rng.random() < 0.04:
                code, minutes = rng.choice([("T", str(rng.randint(5, 40))), ("ED", str(rng.randint(30, 120)))])
            absent += 1 if code in ("A", "E", "H") else 0
            if district["source"] == "riverside-usd":
                river.append([student_id, given, "", family, person.get("suffix", ""), born.isoformat(),
                              person["sex"], "K" if grade == 0 else str(grade), school[0], school[1],
                              day.isoformat(), code, minutes, "", "", where["street"] if rng.random() > 0.05 else "",
                              where["city"], "OR", where["postal_code"], ferpa])
            else:
                category = {"P": "In Attendance", "A": "Unexcused Absence", "E": "Excused Absence",
                            "H": "Excused Absence", "T": "Tardy", "ED": "Tardy"}[code]
                edfi.append([student_id, given, family, born.strftime("%Y-%m-%d"),
                             f"uri://ed-fi.org/SexDescriptor#{'Female' if person['sex'] == 'F' else 'Male'}",
                             school[0], day.isoformat(),
                             f"uri://ed-fi.org/AttendanceEventCategoryDescriptor#{category}"])
        truth.append([district["source"], student_id, person["id"], str(absent), str(last - first), "",
                      ferpa if district["source"] == "riverside-usd" else "not-in-feed"])
    write(os.path.join(base, f"inbox/riverside-usd/attendance-{stamp}.csv"),
          ["student_id", "first_name", "middle_name", "last_name", "suffix", "birth_date", "sex", "grade",
           "school_id", "school_name", "attendance_date", "attendance_code", "minutes_absent", "guardian_name",
           "guardian_phone", "address_line", "city", "state", "postal_code", "ferpa_basis"], river)
    write(os.path.join(base, f"inbox/lakeside-edfi/attendance-events-{stamp}.csv"),
          ["StudentUniqueId", "FirstName", "LastSurname", "BirthDate", "SexDescriptor", "SchoolId", "EventDate",
           "AttendanceEventCategoryDescriptor"], edfi)
    write(os.path.join(base, "truth/students.csv"),
          ["source", "student_id", "patient_id", "days_absent", "days_enrolled", "generated_tier", "ferpa_basis"],
          truth)
    print(f"{len(world.people)} people, {len(patients)} patients, {len(truth)} students")


if __name__ == "__main__":
    main()
