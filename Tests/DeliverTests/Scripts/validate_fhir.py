"""Validate a lastmile FHIR Bulk Data export with an independent validator (fhir.resources, R4B models).

Usage: validate_fhir.py EXPORT_DIR
Checks manifest.json's $export completion shape, parses every NDJSON line with the fhir.resources model of its
type, and checks that Flag subjects, authors and flag-detail references resolve within the export.
Prints counts only (never resource contents); exits 1 with the file and line of the first problems.
"""

import importlib
import json
import os
import sys

problems = []

# fhir.resources checks structure, types and cardinality but not required value sets; these are the ones used.
STATUS = {
    "Flag": {"active", "inactive", "entered-in-error"},
    "Observation": {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                    "entered-in-error", "unknown"},
}


def problem(where, what):
    problems.append(f"{where}: {what}")


def model(resource_type):
    module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
    return getattr(module, resource_type)


def parse(cls, line):
    if hasattr(cls, "model_validate_json"):
        return cls.model_validate_json(line)
    return cls.parse_raw(line)


def check_manifest(directory):
    with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    for key, kind in [("transactionTime", str), ("request", str), ("requiresAccessToken", bool),
                      ("output", list), ("error", list)]:
        if not isinstance(manifest.get(key), kind):
            problem("manifest.json", f"{key} missing or not {kind.__name__}")
    model("Bundle")  # the package is importable
    from datetime import datetime
    try:
        datetime.fromisoformat(manifest.get("transactionTime", "").replace("Z", "+00:00"))
    except ValueError:
        problem("manifest.json", "transactionTime is not ISO 8601")
    for i, item in enumerate(manifest.get("output", [])):
        if not (isinstance(item.get("type"), str) and isinstance(item.get("url"), str)
                and isinstance(item.get("count"), int)):
            problem("manifest.json", f"output[{i}] needs type, url and count")
    return manifest


def main(directory):
    manifest = check_manifest(directory)
    ids = {}
    references = []
    for item in manifest.get("output", []):
        path = os.path.join(directory, item["url"])
        cls = model(item["type"])
        lines = 0
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                where = f"{item['url']}:{number}"
                lines += 1
                try:
                    resource = parse(cls, line)
                except Exception as error:  # noqa: BLE001 - the validator's message names the element
                    problem(where, str(error).splitlines()[0:3])
                    continue
                data = json.loads(line)
                if data.get("resourceType") != item["type"]:
                    problem(where, "resourceType does not match the manifest")
                if item["type"] in STATUS and data.get("status") not in STATUS[item["type"]]:
                    problem(where, "status not in its required value set")
                if "lastUpdated" not in data.get("meta", {}):
                    problem(where, "no meta.lastUpdated")
                ids.setdefault(item["type"], set()).add(resource.id)
                for key in ("subject", "author"):
                    if key in data:
                        references.append((where, data[key]["reference"]))
                for extension in data.get("extension", []):
                    if "valueReference" in extension:
                        references.append((where, extension["valueReference"]["reference"]))
        if lines != item["count"]:
            problem(item["url"], f"count {item['count']} but {lines} lines")
    for where, reference in references:
        kind, _, rid = reference.partition("/")
        if rid not in ids.get(kind, set()):
            problem(where, f"reference to a {kind} not in the export")
    counts = ", ".join(f"{k} {len(v)}" for k, v in sorted(ids.items()))
    if problems:
        print("\n".join(problems[:20]), file=sys.stderr)
        return 1
    print(f"valid: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
