"""The class report of `grade`: one row per submission and the item analysis.

RESULTS/summary.csv and summary.md: per submission its layout, status, passed/units per area, total and
maximum. The total is the score Gradescope would get (difftests/grading.py): 0 for a submission that
cannot be imported or a TAMPERING run, never full marks for an incomplete one; a submission without a
result grade itself stored, or an entry that cannot be graded, shows why and scores 0.

RESULTS/items.csv and items.md: the item analysis — for every unit (a pair with its spellings folded,
or a behaviour test), over the submissions with a trustworthy result: how many passed, failed, were
not implemented or had no result for it (e.g. could not be imported), and the pass rate. Hardest first.
"""
from __future__ import annotations

import csv
import json
import os
from collections import defaultdict

from tabulate import tabulate

from difftests.grading import area_scores, final_score, load_error_of, short_error

STATUS = {"ok": None, "load_error": "cannot import", "tampering": "TAMPERING", "incomplete": "incomplete"}
TRUSTWORTHY = {"all passed", "failures", "not implemented", "cannot import"}


def _row(name: str, layout: str, report: dict, weights, sources: dict, folder: str = "") -> dict:
    scores = area_scores(report, weights, sources)
    total, maximum, status = final_score(scores, report)
    statuses = [u["status"] for s in scores for u in s["units_detail"]]
    label = STATUS[status] or ("all passed" if report.get("passed") else "failures" if "failed" in statuses
                               else "not implemented" if "not_implemented" in statuses else "failures")
    row = {"submission": name, "layout": layout, "status": label}
    for s in scores:
        row[s["area"]] = f"{s['passed']}/{s['units']}"
    row.update(total=total, max=maximum, graded=True,
               _units={(s["area"], u["name"]): u["status"] for s in scores for u in s["units_detail"]})
    if status == "load_error":
        # paths relative to the submissions folder: the student's own file and line fit in the column
        text = short_error(load_error_of(report) or "")
        if folder:
            text = text.replace(folder.rstrip(os.sep) + os.sep, "")
        row["status"] = "cannot import: " + text[:160]
    return row


def summarize(ledger, found: dict, problems: list[str], weights) -> list[dict]:
    """One row per submission (graded or not) and per entry that cannot be graded."""
    from difftests.registry import all_pairs

    sources = {p.name: p.source for p in all_pairs()}
    rows = []
    for name, sub in found.items():
        if ledger.entry(name) is None:
            why = ("result not written by grade (ignored)" if os.path.exists(ledger.result_path(name))
                   else "no result yet")
            rows.append({"submission": name, "layout": sub.layout, "status": f"NOT GRADED: {why}",
                         "total": 0.0, "graded": False})
            continue
        with open(ledger.result_path(name)) as f:
            rows.append(_row(name, sub.layout, json.load(f), weights, sources, os.path.dirname(sub.path)))
    for problem in problems:
        rows.append({"submission": problem.split(":")[0].rstrip("/"), "layout": "-",
                     "status": "CANNOT GRADE: " + problem.split(": ", 1)[-1], "total": 0.0, "graded": False})
    return rows


def item_analysis(rows: list[dict]) -> list[dict]:
    """Per unit over the trustworthy results: passed, failed, not implemented, missing, pass rate."""
    graded = [r for r in rows if r.get("graded") and r["status"].split(":")[0] in TRUSTWORTHY]
    units = sorted({key for r in graded for key in r["_units"]})
    items = []
    for area, unit in units:
        counts: dict[str, int] = defaultdict(int)
        for r in graded:
            counts[r["_units"].get((area, unit), "missing")] += 1
        items.append({"area": area, "unit": unit, "submissions": len(graded), "passed": counts["passed"],
                      "failed": counts["failed"], "not_implemented": counts["not_implemented"],
                      "missing": counts["missing"], "pass_rate": round(counts["passed"] / len(graded), 3)})
    return sorted(items, key=lambda i: (i["pass_rate"], i["area"], i["unit"]))


def _write_table(out: str, stem: str, rows: list[dict], columns: list[str]) -> str:
    table = [[row.get(c, "") for c in columns] for row in rows]
    with open(os.path.join(out, f"{stem}.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(table)
    markdown = tabulate(table, headers=columns, tablefmt="github")
    with open(os.path.join(out, f"{stem}.md"), "w") as f:
        f.write(markdown + "\n")
    return markdown


def write_summary(out: str, rows: list[dict], show_items: bool) -> list[dict]:
    """Write and print the summary; write the item analysis (and print it when `show_items`)."""
    columns = [c for c in dict.fromkeys(k for row in rows for k in row) if c not in ("graded", "_units")]
    columns = [c for c in columns if c not in ("total", "max")] + ["total", "max"]
    print(_write_table(out, "summary", rows, columns))
    items = item_analysis(rows)
    markdown = _write_table(out, "items", items, ["area", "unit", "submissions", "passed", "failed",
                                                  "not_implemented", "missing", "pass_rate"])
    if show_items:
        print("\nitem analysis (per unit, hardest first):\n" + markdown)
    return items
