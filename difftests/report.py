"""Turn the collected summaries into the per-area table, the failure list, and JSON."""
from __future__ import annotations

from collections import defaultdict

from tabulate import tabulate

from difftests.registry import AREAS


def pair_status(summaries: list[dict]) -> dict[str, dict]:
    """Fold the tests of each pair (dtypes × kinds) into one status per pair."""
    pairs: dict[str, dict] = {}
    for s in summaries:
        p = pairs.setdefault(s["pair"], {"pair": s["pair"], "area": s["area"], "status": "passed",
                                         "cases": 0, "forward_error": 0.0, "gradient_error": 0.0,
                                         "failures": []})
        p["cases"] += s["cases"]
        p["forward_error"] = max(p["forward_error"], s["forward_error"])
        p["gradient_error"] = max(p["gradient_error"], s["gradient_error"])
        if s["status"] == "not_implemented":
            p["status"] = "not_implemented"
        elif s["status"] == "failed" and p["status"] != "not_implemented":
            p["status"] = "failed"
        if s["status"] != "passed":
            p["failures"].append({"dtype": s["dtype"], "kind": s["kind"], **s["failure"]})
    return pairs


def area_rows(pairs: dict[str, dict], other: list[dict]) -> list[list]:
    by_area: dict[str, dict] = defaultdict(lambda: {"passed": 0, "failed": 0, "not_implemented": 0,
                                                     "cases": 0, "fwd": 0.0, "grad": 0.0})
    for p in pairs.values():
        a = by_area[p["area"]]
        a[p["status"]] += 1
        a["cases"] += p["cases"]
        a["fwd"] = max(a["fwd"], p["forward_error"])
        a["grad"] = max(a["grad"], p["gradient_error"])
    for t in other:
        if t["status"] == "not_run":
            continue
        a = by_area[t["area"]]
        a[t["status"] if t["status"] in a else "failed"] += 1
        a["cases"] += 1
    order = [x for x in AREAS if x in by_area] + sorted(set(by_area) - set(AREAS))
    return [[area, by_area[area]["passed"], by_area[area]["failed"], by_area[area]["not_implemented"],
             by_area[area]["cases"], f"{by_area[area]['fwd']:.1e}", f"{by_area[area]['grad']:.1e}"]
            for area in order]


def render(summaries: list[dict], other: list[dict], errors: list[str]) -> str:
    pairs = pair_status(summaries)
    rows = area_rows(pairs, other)
    headers = ["area", "passed", "failed", "not impl.", "cases", "worst fwd err", "worst grad err"]
    lines = [tabulate(rows, headers=headers, tablefmt="github")]
    bad = [p for p in pairs.values() if p["status"] != "passed"]
    for p in sorted(bad, key=lambda p: (AREAS.index(p["area"]) if p["area"] in AREAS else 99, p["pair"])):
        label = "NOT IMPLEMENTED" if p["status"] == "not_implemented" else "FAILED"
        first = p["failures"][0]
        lines.append(f"\n{label} {p['area']}/{p['pair']} [{first['dtype']}, {first['kind']}]")
        lines.append(f"  input: {first.get('case', '')}")
        lines.append(f"  {first.get('message', '')}")
        lines.append(f"  hint: {first.get('hint', '')}")
    for t in other:
        if t["status"] not in ("passed", "not_run"):
            lines.append(f"\n{t['status'].upper()} {t['area']}/{t['test']}\n  {t['message']}")
    not_run = [t for t in other if t["status"] == "not_run"]
    if not_run:
        lines.append(f"\nNOT RUN: {len(not_run)} in-process test(s) cannot run against an isolated "
                     "implementation: " + ", ".join(sorted({t['area'] + '/' + t['test'] for t in not_run})[:10]))
    for e in errors:
        lines.append(f"\nERROR {e}")
    return "\n".join(lines)


def as_json(summaries: list[dict], other: list[dict], errors: list[str], impl: str) -> dict:
    pairs = pair_status(summaries)
    return {"schema": "tiny-difftests/1", "impl": impl,
            "passed": all(p["status"] == "passed" for p in pairs.values())
                      and all(t["status"] in ("passed", "not_run") for t in other) and not errors and bool(pairs),
            "pairs": sorted(pairs.values(), key=lambda p: p["pair"]), "tests": other, "errors": errors,
            "summaries": summaries}
