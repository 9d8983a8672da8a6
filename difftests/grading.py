"""Scores from a difftest report: per-area points with optional partial credit, and Gradescope's
autograder results format (https://gradescope-autograders.readthedocs.io/en/latest/specs/).

A weights file is JSON:
    {"areas": {"tensor": 30, "autograd": 20, "nn": 20, "losses": 10, "optim": 20},
     "partial_credit": true,
     "visibility": "visible"}
Areas not listed score nothing (and are not shown). With partial credit an area earns
points × (passed units / units), where a unit is one pair or one behaviour test; without it, all or
nothing per area. A unit counts as passed only when every one of its cases passed.
"""
from __future__ import annotations

import json
from collections import defaultdict

from difftests.registry import AREAS

# Without a weights file: 10 points for every area the report contains.
DEFAULT_WEIGHTS = {"areas": None, "partial_credit": True, "visibility": "visible"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def load_weights(path: str | None) -> dict:
    if path is None:
        return DEFAULT_WEIGHTS
    with open(path) as f:
        weights = json.load(f)
    areas = weights.get("areas")
    if not isinstance(areas, dict) or not all(isinstance(v, (int, float)) and v >= 0 for v in areas.values()):
        raise ValueError(f"{path}: 'areas' must map area names to non-negative points")
    unknown = set(areas) - set(AREAS)
    if unknown:
        raise ValueError(f"{path}: unknown areas {sorted(unknown)}; known: {AREAS}")
    if weights.get("visibility", "visible") not in VISIBILITIES:
        raise ValueError(f"{path}: visibility must be one of {sorted(VISIBILITIES)}")
    return {"partial_credit": True, "visibility": "visible", **weights}


def _as_weights(weights) -> dict:
    """A difftests.profile.Profile (what the runner passes) or the older weights dict."""
    return weights.weights() if hasattr(weights, "weights") else weights


def units_by_area(report: dict) -> dict[str, list[dict]]:
    """Each pair and each behaviour test, with its status and a one-line reason when not passed."""
    units: dict[str, list[dict]] = defaultdict(list)
    for pair in report["pairs"]:
        if pair["status"] == "excluded":  # out of the course profile's scope
            continue
        reason = ""
        if pair["failures"]:
            first = pair["failures"][0]
            reason = f"{first.get('message', '')} | input: {first.get('case', '')} | hint: {first.get('hint', '')}"
        units[pair["area"]].append({"name": pair["pair"], "status": pair["status"], "reason": reason})
    for test in report["tests"]:
        if test["status"] != "not_run":
            units[test["area"]].append({"name": test["test"], "status": test["status"],
                                        "reason": test.get("message", "")})
    return units


def area_scores(report: dict, weights) -> list[dict]:
    weights = _as_weights(weights)
    scores = []
    units = units_by_area(report)
    areas = weights["areas"]
    if areas is None:
        areas = {area: 10 for area in AREAS if area in units}
    for area, points in areas.items():
        mine = units.get(area, [])
        passed = sum(u["status"] == "passed" for u in mine)
        unit_points = weights.get("pair_points") or {}
        if not mine:
            fraction = 0.0
        elif weights["partial_credit"]:
            weight = [unit_points.get(u["name"], 1.0) for u in mine]
            fraction = sum(w for w, u in zip(weight, mine) if u["status"] == "passed") / (sum(weight) or 1.0)
        else:
            fraction = float(passed == len(mine))
        scores.append({"area": area, "points": points, "score": round(points * fraction, 4),
                       "passed": passed, "units": len(mine), "units_detail": mine})
    return scores


def gradescope_results(report: dict, weights) -> dict:
    """Gradescope's results.json: one test entry per area, its output listing what failed."""
    weights = _as_weights(weights)
    tests = []
    for s in area_scores(report, weights):
        failing = [u for u in s["units_detail"] if u["status"] != "passed"]
        lines = [f"{s['passed']}/{s['units']} passed"]
        lines += [f"{'NOT IMPLEMENTED' if u['status'] == 'not_implemented' else 'FAILED'} {u['name']}: "
                  f"{u['reason']}" for u in failing]
        tests.append({"name": f"difftests: {s['area']}", "score": s["score"], "max_score": s["points"],
                      "status": "passed" if not failing and s["units"] else "failed",
                      "output": "\n".join(lines), "visibility": weights["visibility"]})
    total = round(sum(t["score"] for t in tests), 4)
    return {"score": total, "output": f"impl={report['impl']}", "visibility": weights["visibility"],
            "stdout_visibility": "hidden", "tests": tests}


def validate_gradescope(results: dict) -> None:
    """Check a results dict against Gradescope's documented format; raise ValueError if it breaks it."""
    if not isinstance(results, dict):
        raise ValueError("results must be a JSON object")
    if "score" in results and not isinstance(results["score"], (int, float)):
        raise ValueError("'score' must be a number")
    if "tests" not in results and "score" not in results:
        raise ValueError("results need 'score' or 'tests'")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in VISIBILITIES:
            raise ValueError(f"{key!r} must be one of {sorted(VISIBILITIES)}")
    for i, test in enumerate(results.get("tests", [])):
        if not isinstance(test, dict):
            raise ValueError(f"tests[{i}] must be an object")
        for key in ("score", "max_score"):
            if key in test and not isinstance(test[key], (int, float)):
                raise ValueError(f"tests[{i}].{key} must be a number")
        for key in ("name", "output"):
            if key in test and not isinstance(test[key], str):
                raise ValueError(f"tests[{i}].{key} must be a string")
        if "status" in test and test["status"] not in ("passed", "failed"):
            raise ValueError(f"tests[{i}].status must be 'passed' or 'failed'")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            raise ValueError(f"tests[{i}].visibility must be one of {sorted(VISIBILITIES)}")
