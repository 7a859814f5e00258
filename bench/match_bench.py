#!/usr/bin/env python3
"""Runs lastmile link and Splink (full, core) on benchmark sets and prints accuracy, wall time and peak RSS.

Called by bench/match.sh. Every tool runs under /usr/bin/time -v in this process's command, one after the
other; each reported figure is the median over --runs runs. Ratios compare lastmile with the better Splink
configuration by F1.
"""
import argparse
import csv
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
# Worlds of the independent generator (bench/gen_world.py): MPI size and extra arguments.
GEN = {"gen10k": (10_000, []), "gen100k": (100_000, []), "gen1m": (1_000_000, []), "gensparse": (5_700, ["--sparse"])}


def tree_rss_kib(pid):
    """Resident set of a process and all its descendants, in KiB (Linux /proc)."""
    children, rss = {}, {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(parts[1]), []).append(int(d))
            rss[int(d)] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def timed(cmd, log, mem_cap_mib=None, time_cap_s=None):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MiB, status).

    With a cap, a watchdog samples the process tree's resident set every half second and kills the tree when
    it exceeds mem_cap_mib or runs longer than time_cap_s; status then says which cap and when (the peak is
    the watchdog's highest sample). No systemd or cgroup is needed.
    """
    with open(log, "w") as f:
        start = time.monotonic()
        proc = subprocess.Popen(["/usr/bin/time", "-v"] + cmd, stdout=f, stderr=subprocess.STDOUT,
                                start_new_session=True)
        status, peak_kib = "ok", 0
        while proc.poll() is None:
            time.sleep(0.5)
            if mem_cap_mib is None and time_cap_s is None:
                continue
            peak_kib = max(peak_kib, tree_rss_kib(proc.pid))
            elapsed = time.monotonic() - start
            if mem_cap_mib is not None and peak_kib > mem_cap_mib * 1024:
                status = f"killed at memory cap {mem_cap_mib} MiB after {elapsed:.0f} s"
            elif time_cap_s is not None and elapsed > time_cap_s:
                status = f"killed at time cap {time_cap_s} s"
            if status != "ok":
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
        wall = time.monotonic() - start
    if status != "ok":
        return wall, peak_kib / 1024, status
    text = open(log).read()
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}; see {log}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return wall, rss, status


def score(score_py, links, truth):
    out = subprocess.run([sys.executable, score_py, "--links", links, "--truth", truth, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[0])


def febrl3_split(src, d):
    """FEBRL3 as a linkage set: its -org records are the MPI, its -dup- records (1 to 5 a person) come in."""
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(src, "records.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    orgs = {r[0] for r in rows if r[0].endswith("-org")}
    with open(os.path.join(d, "mpi.csv"), "w", newline="", encoding="utf-8") as m, \
            open(os.path.join(d, "incoming.csv"), "w", newline="", encoding="utf-8") as i, \
            open(os.path.join(d, "truth.csv"), "w", newline="", encoding="utf-8") as t:
        mw, iw, tw = csv.writer(m), csv.writer(i), csv.writer(t)
        mw.writerow(header)
        iw.writerow(header)
        tw.writerow(["incoming_id", "mpi_id"])
        for r in rows:
            if r[0] in orgs:
                mw.writerow(r)
            else:
                iw.writerow(r)
                org = r[0].split("-dup-")[0] + "-org"
                tw.writerow([r[0], org if org in orgs else ""])


def dataset(a, name):
    """The files of a set: FEBRL, a `lastmile sample-data` world (10k, 100k, 1m) or a gen_world.py world."""
    if name == "febrl4":
        d = a.febrl
    elif name == "febrl3":
        d = os.path.join(a.work, "worlds", "febrl3-split")
        if not os.path.exists(os.path.join(d, "truth.csv")):
            febrl3_split(os.path.join(os.path.dirname(a.febrl), "febrl3"), d)
    elif name in GEN:
        size, extra = GEN[name]
        d = os.path.join(a.work, "worlds", f"{name}-s{a.gen_seed}")
        if not os.path.exists(os.path.join(d, "truth.csv")):
            subprocess.run([a.gen_python, os.path.join(HERE, "gen_world.py"), "--mpi-size", str(size), "--seed",
                            str(a.gen_seed), "--out", d] + extra, check=True)
    else:
        # Seed 7 keeps the directory names of earlier runs (10k, 100k, 1m).
        d = os.path.join(a.work, "worlds", name if a.seed == 7 else f"{name}-s{a.seed}")
        if not os.path.exists(os.path.join(d, "truth.csv")):
            subprocess.run([a.lastmile, "sample-data", "generate", "--benchmark", "--mpi-size", str(SIZES[name]),
                            "--seed", str(a.seed), "--out", d], check=True, stderr=subprocess.DEVNULL)
    return {k: os.path.join(d, k + ".csv") for k in ("mpi", "incoming", "truth")}


def count_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return max(0, sum(1 for _ in csv.reader(f)) - 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lastmile", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--score", required=True)
    ap.add_argument("--febrl", required=True)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--tools", default="lastmile,splink-full,splink-core")
    ap.add_argument("--gen-python", default=sys.executable, help="a Python with Faker, for gen_world.py")
    ap.add_argument("--gen-seed", type=int, default=29, help="seed of gen_world.py worlds")
    ap.add_argument("--seed", type=int, default=7, help="seed of `lastmile sample-data` worlds")
    ap.add_argument("--splink-mem-cap", type=int, default=None, help="MiB; Splink is killed above it")
    ap.add_argument("--splink-time-cap", type=int, default=None, help="seconds; Splink is killed after it")
    ap.add_argument("sets", nargs="+")
    a = ap.parse_args()
    out_dir = os.path.join(a.work, "runs")
    os.makedirs(out_dir, exist_ok=True)
    results = []
    for s in a.sets:
        f = dataset(a, s)
        for tool in a.tools.split(","):
            links = os.path.join(out_dir, f"{s}-{tool}.csv")
            review = os.path.join(out_dir, f"{s}-{tool}-review.csv")
            if tool == "lastmile":
                cmd = [a.lastmile, "link", "--mpi", f["mpi"], "--incoming", f["incoming"], "--out", links,
                       "--review-out", review]
            else:
                cmd = [a.python, os.path.join(HERE, "match_splink.py"), "--mpi", f["mpi"], "--incoming",
                       f["incoming"], "--out", links, "--config", tool.split("-")[1]]
            walls, rsss, status = [], [], "ok"
            caps = (a.splink_mem_cap, a.splink_time_cap) if tool != "lastmile" else (None, None)
            for _ in range(a.runs):
                w, r, status = timed(cmd, os.path.join(out_dir, f"{s}-{tool}.log"), *caps)
                walls.append(w)
                rsss.append(r)
                if status != "ok":
                    break
            if status != "ok":
                row = dict(set=s, tool=tool, status=status, wall_s=round(walls[-1], 1), peak_mib=round(rsss[-1]),
                           runs=len(walls), date=time.strftime("%Y-%m-%d"),
                           machine=f"{platform.machine()}, {os.cpu_count()} cores")
                results.append(row)
                with open(os.path.join(a.work, "match-results.jsonl"), "a") as j:
                    j.write(json.dumps(row) + "\n")
                print(f"{s:<9} {tool:<12} {status} (peak {row['peak_mib']} MiB)", flush=True)
                continue
            sc = score(a.score, links, f["truth"])
            # Splink has no review band: every record at p >= 0.5 is linked.
            review_share = count_rows(review) / count_rows(f["incoming"]) if tool == "lastmile" else 0.0
            row = dict(set=s, tool=tool, status="ok", precision=sc["precision"], recall=sc["recall"], f1=sc["f1"],
                       links=sc["links"], review=round(review_share, 4), wall_s=round(statistics.median(walls), 1),
                       peak_mib=round(statistics.median(rsss)), runs=a.runs,
                       date=time.strftime("%Y-%m-%d"), machine=f"{platform.machine()}, {os.cpu_count()} cores")
            results.append(row)
            with open(os.path.join(a.work, "match-results.jsonl"), "a") as j:
                j.write(json.dumps(row) + "\n")
            print(f"{s:<9} {tool:<12} P={row['precision']:.4f} R={row['recall']:.4f} F1={row['f1']:.4f} "
                  f"review={100 * row['review']:.2f}% wall={row['wall_s']:>7.1f}s peak={row['peak_mib']:>6} MiB",
                  flush=True)
    print()
    print("| set | tool | precision | recall | F1 | review | wall s | peak MiB | wall ratio | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in a.sets:
        rows = [r for r in results if r["set"] == s]
        splink = [r for r in rows if r["tool"].startswith("splink") and r["status"] == "ok"]
        best = max(splink, key=lambda r: r["f1"]) if splink else None
        fastest = min(splink, key=lambda r: r["wall_s"]) if splink else None
        for r in rows:
            if r["status"] != "ok":
                print(f"| {s} | {r['tool']} | {r['status']} | | | | {r['wall_s']:.1f} | {r['peak_mib']} | | |")
                continue
            ratio = ""
            if r["tool"] == "lastmile" and best:
                ratio = (f"{r['wall_s'] / fastest['wall_s']:.2f}× ({fastest['tool']}) | "
                         f"{r['peak_mib'] / fastest['peak_mib']:.2f}×")
            else:
                ratio = " | "
            print(f"| {s} | {r['tool']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | "
                  f"{100 * r['review']:.2f} % | {r['wall_s']:.1f} | {r['peak_mib']} | {ratio} |")


if __name__ == "__main__":
    main()
