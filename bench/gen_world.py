#!/usr/bin/env python3
"""A second, independent generator of person-linkage test worlds (Faker), for bench/match.sh.

`lastmile sample-data generate --benchmark` (Swift) makes the worlds the matcher was developed on; this script
shares none of its code, name lists, rates or mixtures, so a matcher tuned to one can be checked on the other.
Names, streets and cities come from Faker (en_US with an es_MX share); everything else is drawn here.

Writes the canonical person CSV schema of shared/benchmarks/README.md:
  mpi.csv, incoming.csv   id,given_name,family_name,birth_date,sex,street,city,state,postal_code,phone,ssn
  truth.csv               incoming_id,mpi_id (mpi_id empty when the incoming person is not in the MPI)

  gen_world.py --mpi-size 10000 --seed 11 --out DIR            # full world, ~half as many incoming records
  gen_world.py --sparse --mpi-size 5700 --seed 11 --out DIR    # names, birth date, city; ~2.5 records a patient

Full worlds hold households (shared address and phone), twins, juniors and seniors, nicknames, married names,
moved families, placeholder SSNs (000-00-0000, 999-99-9999, 123-45-6789), typos, missing fields, incoming
relatives of patients who are not patients themselves, and several incoming records of one person.
"""
import argparse
import csv
import datetime
import os
import random

from faker import Faker

# Formal given name -> nicknames (this script's own table).
NICKNAMES = {
    "WILLIAM": ["BILL", "WILL", "BILLY", "LIAM"], "ROBERT": ["BOB", "ROB", "BOBBY", "BERT"],
    "RICHARD": ["RICK", "DICK", "RICH"], "JAMES": ["JIM", "JIMMY", "JAMIE"], "JOHN": ["JACK", "JOHNNY"],
    "MICHAEL": ["MIKE", "MICKEY"], "JOSEPH": ["JOE", "JOEY"], "THOMAS": ["TOM", "TOMMY"],
    "CHRISTOPHER": ["CHRIS", "KIT"], "DANIEL": ["DAN", "DANNY"], "MATTHEW": ["MATT"], "ANTHONY": ["TONY"],
    "DAVID": ["DAVE"], "STEVEN": ["STEVE"], "EDWARD": ["ED", "EDDIE", "TED"], "CHARLES": ["CHUCK", "CHARLIE"],
    "ELIZABETH": ["LIZ", "BETH", "BETTY", "LIZZIE"], "MARGARET": ["MAGGIE", "PEGGY", "MEG"],
    "KATHERINE": ["KATE", "KATHY", "KATIE"], "CATHERINE": ["CATHY", "CATE"], "JENNIFER": ["JEN", "JENNY"],
    "PATRICIA": ["PAT", "PATTY", "TRISH"], "SUSAN": ["SUE", "SUSIE"], "REBECCA": ["BECKY", "BECCA"],
    "ALEXANDER": ["ALEX", "XANDER"], "BENJAMIN": ["BEN", "BENNY"], "SAMUEL": ["SAM", "SAMMY"],
    "NICHOLAS": ["NICK", "NICKY"], "JONATHAN": ["JON"], "TIMOTHY": ["TIM"], "KENNETH": ["KEN", "KENNY"],
    "ANDREW": ["ANDY", "DREW"], "JOSHUA": ["JOSH"], "GREGORY": ["GREG"], "PATRICK": ["PAT"],
    "DEBORAH": ["DEB", "DEBBIE"], "VICTORIA": ["VICKY", "TORI"], "ABIGAIL": ["ABBY"], "SAMANTHA": ["SAM"],
    "JESSICA": ["JESS", "JESSIE"], "CHRISTINA": ["CHRISTY", "TINA"], "KIMBERLY": ["KIM"], "PAMELA": ["PAM"],
    "ALEJANDRO": ["ALEX"], "FRANCISCO": ["PACO", "FRANK"], "JOSE": ["PEPE"], "GUADALUPE": ["LUPE"],
}
PLACEHOLDER_SSNS = ["000-00-0000", "999-99-9999", "123-45-6789"]
KEYBOARD = {c: n for c, n in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                 ["QSZ", "VGN", "XDV", "SERF", "WRD", "DRTG", "FTYH", "GYUJ", "UOK", "HUIK", "JIOL",
                                  "KOP", "NJK", "BHJM", "IPL", "OL", "WA", "EDT", "AWDZ", "RFY", "YHJI", "CFB", "QES",
                                  "ZSDC", "TGHU", "ASX"])}


class Pools:
    """Weighted pools drawn once from Faker, so a world of 150k people is quick to make."""

    def __init__(self, seed, size=4000):
        us = Faker("en_US")
        mx = Faker("es_MX")
        us.seed_instance(seed)
        mx.seed_instance(seed + 1)
        self.female = [us.first_name_female() for _ in range(size)] + [mx.first_name_female() for _ in range(size // 5)]
        self.male = [us.first_name_male() for _ in range(size)] + [mx.first_name_male() for _ in range(size // 5)]
        self.family = [us.last_name() for _ in range(size * 2)] + [mx.last_name() for _ in range(size // 3)]
        self.street = [us.street_address() for _ in range(size * 3)]
        self.places = [(us.city(), us.state_abbr(include_territories=False), us.zipcode()) for _ in range(size // 8)]
        # Faker's own frequency weighting makes common names repeat in these lists; the formal names of the
        # nickname table get a share too, so nicknames occur.
        self.male += [n.title() for n in NICKNAMES if n not in ("ELIZABETH", "MARGARET")] * 3


def ascii_upper(s):
    table = str.maketrans("ÁÉÍÓÚÜÑáéíóúüñ", "AEIOUUNaeiouun")
    return s.translate(table).upper()


class World:
    def __init__(self, a):
        self.a = a
        self.r = random.Random(a.seed)
        self.pools = Pools(a.seed)
        self.today = datetime.date(2026, 6, 1)

    # --- people ---------------------------------------------------------------------------------------------
    def birth(self, lo, hi):
        return self.today - datetime.timedelta(days=self.r.randint(int(lo * 365.25), int(hi * 365.25)))

    def phone(self):
        return f"{self.r.randint(201, 989)}{self.r.randint(200, 999)}{self.r.randint(0, 9999):04d}"

    def ssn(self):
        return f"{self.r.randint(1, 665):03d}{self.r.randint(1, 99):02d}{self.r.randint(1, 9999):04d}"

    def place(self):
        city, state, zipcode = self.r.choice(self.pools.places)
        return dict(street=self.r.choice(self.pools.street), city=city, state=state, postal_code=zipcode)

    def person(self, sex, family, dob, home, phone, given=None, suffix=""):
        pool = self.pools.female if sex == "F" else self.pools.male
        return dict(given=ascii_upper(given or self.r.choice(pool)), family=family, dob=dob, sex=sex, suffix=suffix,
                    home=home, phone=phone if self.r.random() < 0.7 else self.phone(),
                    ssn=self.ssn() if self.r.random() < 0.88 else "")

    def household(self):
        """One home: adults, children, maybe twins or a junior."""
        r = self.r
        home = self.place()
        phone = self.phone()
        family = ascii_upper(r.choice(self.pools.family))
        if r.random() < 0.06:
            family = f"{family}-{ascii_upper(r.choice(self.pools.family))}"
        members = []
        size = r.choices([1, 2, 3, 4, 5, 6, 7], [26, 27, 17, 15, 9, 4, 2])[0]
        head_sex = r.choice("FM")
        head = self.person(head_sex, family, self.birth(24, 88), home, phone)
        members.append(head)
        if size >= 2 and r.random() < 0.75:
            spouse_family = family if r.random() < 0.8 else ascii_upper(r.choice(self.pools.family))
            spouse = self.person("M" if head_sex == "F" else "F", spouse_family,
                                 head["dob"] + datetime.timedelta(days=r.randint(-2500, 2500)), home, phone)
            members.append(spouse)
        father = next((m for m in members if m["sex"] == "M"), None)
        # Children: born while a parent was 18 to 45, and not in the future (a young head has none yet).
        first = head["dob"] + datetime.timedelta(days=18 * 365)
        last = min(head["dob"] + datetime.timedelta(days=45 * 365), self.today - datetime.timedelta(days=30))
        while len(members) < size and first < last:
            dob = first + datetime.timedelta(days=r.randint(0, (last - first).days))
            sex = r.choice("FM")
            if father and sex == "M" and r.random() < 0.12 and not any(m["suffix"] for m in members):
                father["suffix"] = "SR" if r.random() < 0.5 else ""
                members.append(self.person("M", family, dob, home, phone, given=father["given"], suffix="JR"))
            else:
                members.append(self.person(sex, family, dob, home, phone))
            if len(members) < size + 1 and r.random() < 0.05:  # twins: same birth date, same home
                twin_sex = sex if r.random() < 0.5 else r.choice("FM")
                members.append(self.person(twin_sex, family, dob, home, phone))
        for m in members:
            if self.today.year - m["dob"].year < 16 and r.random() < 0.6:
                m["ssn"] = ""
        return members

    # --- corruption -----------------------------------------------------------------------------------------
    def typo(self, s):
        r = self.r
        if len(s) < 2:
            return s
        k = r.randrange(len(s))
        kind = r.random()
        if kind < 0.3 and s[k] in KEYBOARD:
            return s[:k] + r.choice(KEYBOARD[s[k]]) + s[k + 1:]
        if kind < 0.5:
            return s[:k] + s[k + 1:]
        if kind < 0.7 and k < len(s) - 1:
            return s[:k] + s[k + 1] + s[k] + s[k + 2:]
        if kind < 0.85:
            return s[:k] + s[k] + s[k:]
        return s[:k] + r.choice("AEIOULNRST") + s[k + 1:]

    def name_form(self, s):
        c = self.r.random()
        return s if c < 0.35 else s.lower() if c < 0.45 else s.title()

    def record(self, p, rid, noisy, sparse):
        r = self.r
        given, family, dob, home, phone, ssn, sex = (p["given"], p["family"], p["dob"], p["home"], p["phone"],
                                                     p["ssn"], p["sex"])
        rate = self.a.noise if noisy else 0.15
        if r.random() < 0.12 * rate and given in NICKNAMES:
            given = r.choice(NICKNAMES[given])
        elif r.random() < 0.10 * rate:
            given = self.typo(given)
        elif r.random() < 0.01 * rate:
            given = given[0]
        if r.random() < 0.10 * rate:
            family = self.typo(family)
        if "-" in family and r.random() < 0.3 * rate:
            family = r.choice(family.split("-"))
        if p.get("married") and r.random() < 0.5:
            family = p["married"]
        if r.random() < 0.015 * rate:
            given, family = family, given
        if p["suffix"] and r.random() < 0.7:
            if r.random() < 0.5:
                family = f"{family} {p['suffix']}"
            else:
                given = f"{given} {p['suffix']}"
        birth = dob.isoformat()
        c = r.random() / rate if rate > 0 else 1
        if c < 0.07:
            birth = ""
        elif c < 0.09 and dob.day <= 12 and dob.day != dob.month:
            birth = f"{dob.year:04d}-{dob.day:02d}-{dob.month:02d}"
        elif c < 0.13:
            birth = self.date_typo(dob)
        city, street, state, postal = home["city"], home["street"], home["state"], home["postal_code"]
        if p.get("moved") and noisy:
            city, street, state, postal = (p["moved"]["city"], p["moved"]["street"], p["moved"]["state"],
                                           p["moved"]["postal_code"])
            phone = p["moved_phone"] or phone
        if r.random() < 0.08 * rate:
            city = self.typo(city.upper())
        if r.random() < 0.08 * rate:
            street = self.typo(street.upper())
        if r.random() < 0.2:
            street = street.replace(" Street", " St").replace(" Avenue", " Ave").replace(" Road", " Rd")
        if r.random() < 0.04 * rate:
            city = ""
        row = dict(id=rid, given_name=self.name_form(given), family_name=self.name_form(family), birth_date=birth,
                   sex="" if sparse or r.random() < 0.06 else sex, street="", city=city, state="", postal_code="",
                   phone="", ssn="")
        if sparse:
            return row
        row.update(street=street if r.random() > 0.05 else "", state=state,
                   postal_code=postal if r.random() > 0.06 else "")
        if phone and r.random() > 0.25:
            phone = self.typo(phone) if r.random() < 0.03 * rate else phone
            row["phone"] = self.phone_form(phone)
        s = ssn if r.random() > 0.3 else ""
        if r.random() < 0.05:
            s = r.choice(PLACEHOLDER_SSNS).replace("-", "")
        elif s and r.random() < 0.04 * rate:
            s = self.typo(s)
        if s:
            row["ssn"] = f"{s[:3]}-{s[3:5]}-{s[5:]}" if r.random() < 0.6 and len(s) == 9 else s
        return row

    def date_typo(self, d):
        r = self.r
        for _ in range(10):
            k = r.choice(["year", "month", "day", "year1"])
            try:
                if k == "year":
                    return d.replace(year=d.year + r.choice([-10, -1, 1, 10])).isoformat()
                if k == "year1":
                    return d.replace(year=d.year + r.choice([-1, 1])).isoformat()
                if k == "month":
                    return d.replace(month=r.randint(1, 12)).isoformat()
                return d.replace(day=r.randint(1, 28)).isoformat()
            except ValueError:
                continue
        return d.isoformat()

    def phone_form(self, p):
        c = self.r.random()
        if len(p) != 10 or c < 0.4:
            return p
        if c < 0.7:
            return f"({p[:3]}) {p[3:6]}-{p[6:]}"
        return f"{p[:3]}-{p[3:6]}-{p[6:]}" if c < 0.9 else f"1{p}"

    # --- the world ------------------------------------------------------------------------------------------
    def build(self):
        a, r = self.a, self.r
        homes = []
        patients = []
        while len(patients) < a.mpi_size:
            h = self.household()
            homes.append(h)
            patients.extend(h)
        patients = patients[:a.mpi_size]
        in_mpi = set(id(p) for p in patients)
        # Life after registration: moves (whole homes), marriages.
        for h in homes:
            if r.random() < 0.10:
                new = self.place()
                new_phone = self.phone() if r.random() < 0.6 else None
                for p in h:
                    p["moved"], p["moved_phone"] = new, new_phone
        for p in patients:
            if p["sex"] == "F" and r.random() < 0.025 and self.today.year - p["dob"].year > 20:
                p["married"] = ascii_upper(r.choice(self.pools.family))
        # Who shows up: patients, their non-patient relatives, strangers.
        if a.sparse:
            n_people = int(a.mpi_size * a.incoming_ratio / 2.5)
            share_in = 0.9
        else:
            n_people = int(a.mpi_size * a.incoming_ratio / 1.2)
            share_in = 0.68
        visitors = []
        chosen = r.sample(patients, min(len(patients), int(n_people * share_in)))
        visitors += [(p, True) for p in chosen]
        relatives = [m for h in homes for m in h if id(m) not in in_mpi]
        n_new = n_people - len(chosen)
        take = min(len(relatives), n_new // 3) if not a.sparse else 0
        visitors += [(p, False) for p in r.sample(relatives, take)]
        while len(visitors) < n_people:
            h = self.household()
            for p in h:
                if r.random() < 0.5 and len(visitors) < n_people:
                    visitors.append((p, False))
        # Relatives of patients, born into a patient's home after registration (a new baby, a sibling).
        if not a.sparse:
            for h in r.sample(homes, min(len(homes), n_people // 40)):
                baby = self.person(r.choice("FM"), h[0]["family"], self.birth(0, 2), h[0]["home"], h[0]["phone"])
                visitors.append((baby, False))
        r.shuffle(visitors)
        mpi_ids = {}
        mpi_rows = []
        for n, p in enumerate(patients):
            mpi_ids[id(p)] = f"P{n:07d}"
            mpi_rows.append(self.record(p, mpi_ids[id(p)], noisy=False, sparse=a.sparse))
        r.shuffle(mpi_rows)
        incoming_rows, truth = [], []
        for p, is_patient in visitors:
            copies = (r.choices([1, 2, 3, 4, 5, 6], [30, 25, 20, 12, 8, 5])[0] if a.sparse
                      else r.choices([1, 2, 3], [84, 12, 4])[0])
            for _ in range(copies):
                rid = f"R{len(incoming_rows):07d}"
                incoming_rows.append(self.record(p, rid, noisy=True, sparse=a.sparse))
                truth.append((rid, mpi_ids[id(p)] if is_patient and id(p) in mpi_ids else ""))
        order = list(range(len(incoming_rows)))
        r.shuffle(order)
        return mpi_rows, [incoming_rows[k] for k in order], [truth[k] for k in order]


HEADER = ["id", "given_name", "family_name", "birth_date", "sex", "street", "city", "state", "postal_code", "phone",
          "ssn"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mpi-size", type=int, default=10_000)
    ap.add_argument("--incoming-ratio", type=float, default=None,
                    help="incoming records per MPI record (default 0.5; sparse 2.5)")
    ap.add_argument("--noise", type=float, default=1.0, help="scales the corruption rates of incoming records")
    ap.add_argument("--sparse", action="store_true", help="names, birth date and city only")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.incoming_ratio is None:
        a.incoming_ratio = 2.5 if a.sparse else 0.5
    mpi, incoming, truth = World(a).build()
    os.makedirs(a.out, exist_ok=True)
    for name, rows in (("mpi", mpi), ("incoming", incoming)):
        with open(os.path.join(a.out, f"{name}.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=HEADER)
            w.writeheader()
            w.writerows(rows)
    with open(os.path.join(a.out, "truth.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["incoming_id", "mpi_id"])
        w.writerows(truth)


if __name__ == "__main__":
    main()
