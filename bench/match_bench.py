#!/usr/bin/env python3
"""Runs lastmile link and Splink (full, core) on benchmark sets and prints accuracy, wall time and peak RSS.

Called by bench/match.sh. Every tool runs under /usr/bin/time -v in this process's command, one after the
other; each reported figure is the median over --runs runs. Ratios compare lastmile with the better Splink
configuration by F1.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}


def timed(cmd, log):
    """Runs cmd under /usr/bin/time -v; returns (wall seconds, peak RSS MiB)."""
    with open(log, "w") as f:
        start = time.monotonic()
        r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=f, stderr=subprocess.STDOUT)
        wall = time.monotonic() - start
    text = open(log).read()
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}; see {log}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return wall, rss


def score(score_py, links, truth):
    out = subprocess.run([sys.executable, score_py, "--links", links, "--truth", truth, "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[0])


def dataset(a, name):
    if name == "febrl4":
        d = a.febrl
    else:
        d = os.path.join(a.work, "worlds", name)
        if not os.path.exists(os.path.join(d, "truth.csv")):
            subprocess.run([a.lastmile, "sample-data", "generate", "--benchmark", "--mpi-size", str(SIZES[name]),
                            "--seed", "7", "--out", d], check=True, stderr=subprocess.DEVNULL)
    return {k: os.path.join(d, k + ".csv") for k in ("mpi", "incoming", "truth")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lastmile", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--score", required=True)
    ap.add_argument("--febrl", required=True)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--tools", default="lastmile,splink-full,splink-core")
    ap.add_argument("sets", nargs="+")
    a = ap.parse_args()
    out_dir = os.path.join(a.work, "runs")
    os.makedirs(out_dir, exist_ok=True)
    results = []
    for s in a.sets:
        f = dataset(a, s)
        for tool in a.tools.split(","):
            links = os.path.join(out_dir, f"{s}-{tool}.csv")
            if tool == "lastmile":
                cmd = [a.lastmile, "link", "--mpi", f["mpi"], "--incoming", f["incoming"], "--out", links,
                       "--review-out", os.path.join(out_dir, f"{s}-{tool}-review.csv")]
            else:
                cmd = [a.python, os.path.join(HERE, "match_splink.py"), "--mpi", f["mpi"], "--incoming",
                       f["incoming"], "--out", links, "--config", tool.split("-")[1]]
            walls, rsss = [], []
            for _ in range(a.runs):
                w, r = timed(cmd, os.path.join(out_dir, f"{s}-{tool}.log"))
                walls.append(w)
                rsss.append(r)
            sc = score(a.score, links, f["truth"])
            row = dict(set=s, tool=tool, precision=sc["precision"], recall=sc["recall"], f1=sc["f1"],
                       links=sc["links"], wall_s=round(statistics.median(walls), 1),
                       peak_mib=round(statistics.median(rsss)), runs=a.runs,
                       date=time.strftime("%Y-%m-%d"), machine=f"{platform.machine()}, {os.cpu_count()} cores")
            results.append(row)
            with open(os.path.join(a.work, "match-results.jsonl"), "a") as j:
                j.write(json.dumps(row) + "\n")
            print(f"{s:<7} {tool:<12} P={row['precision']:.4f} R={row['recall']:.4f} F1={row['f1']:.4f} "
                  f"wall={row['wall_s']:>7.1f}s peak={row['peak_mib']:>6} MiB", flush=True)
    print()
    print("| set | tool | precision | recall | F1 | wall s | peak MiB | wall ratio | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in a.sets:
        rows = [r for r in results if r["set"] == s]
        splink = [r for r in rows if r["tool"].startswith("splink")]
        best = max(splink, key=lambda r: r["f1"]) if splink else None
        fastest = min(splink, key=lambda r: r["wall_s"]) if splink else None
        for r in rows:
            ratio = ""
            if r["tool"] == "lastmile" and best:
                ratio = (f"{r['wall_s'] / fastest['wall_s']:.2f}× ({fastest['tool']}) | "
                         f"{r['peak_mib'] / fastest['peak_mib']:.2f}×")
            else:
                ratio = " | "
            print(f"| {s} | {r['tool']} | {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | "
                  f"{r['wall_s']:.1f} | {r['peak_mib']} | {ratio} |")


if __name__ == "__main__":
    main()
