"""Turn the collected summaries into the per-area table, the failure list, the capability matrix, JSON.

Precedence at every level: failed > not implemented > passed. Everything is sorted (area order, then
names), so the report is the same bytes whatever order pytest-xdist's workers finished in.
"""
from __future__ import annotations

import re
from collections import defaultdict

from tabulate import tabulate

from difftests.harness import DOWNCAST, failure_sort_key, representative_key
from difftests.registry import AREAS

RANK = {"passed": 0, "excluded": 0, "not_implemented": 1, "failed": 2}
SPELLING = re.compile(r"^(fn_|method_)")


def _area_key(area: str) -> int:
    return AREAS.index(area) if area in AREAS else len(AREAS)


def sort_summaries(summaries: list[dict]) -> list[dict]:
    return sorted(summaries, key=lambda s: (_area_key(s["area"]), s["pair"], s["dtype"], s["kind"]))


def sort_tests(other: list[dict]) -> list[dict]:
    return sorted(other, key=lambda t: (_area_key(t["area"]), t["test"], t["status"], t.get("message", "")))


def float32_only(summaries: list[dict]) -> bool:
    """True when no float64 case ever got a float64 answer and some got float32: the implementation
    computes in float32 only (a capability), not a float64 promotion bug in a few ops."""
    return any(s.get("downcast") for s in summaries) and not any(s.get("native_float64") for s in summaries)


def _effective(s: dict, f32_only: bool) -> dict:
    """A summary with float64 answered in float32 folded into 'not implemented: float64' when the whole
    run is float32-only."""
    if not (f32_only and s.get("downcast")):
        return s
    failures = [f for f in s["failures"] if f["group"] != DOWNCAST]
    failed = s["failed"] - s["downcast"]
    missing = dict(s.get("missing_features", {}))
    missing["float64"] = missing.get("float64", 0) + s["downcast"]
    status = "failed" if failed else "not_implemented"
    forced = sorted(set(s.get("forced_features", [])) | {"float64"})
    return {**s, "status": status, "failures": failures, "failed": failed,
            "not_implemented": s["not_implemented"] + s["downcast"], "cases": s["cases"] - s["downcast"],
            "missing_features": missing, "forced_features": forced,
            "not_implemented_message": s.get("not_implemented_message") or "float64 not supported"}


def _merge_failures(target: list[dict], new: list[dict]) -> list[dict]:
    groups = {f["group"]: f for f in target}
    for f in new:
        old = groups.get(f["group"])
        if old is None:
            groups[f["group"]] = dict(f)
            continue
        count = old["count"] + f["count"]
        best = f if representative_key(f) < representative_key(old) else old
        groups[f["group"]] = {**best, "count": count}
    return sorted(groups.values(), key=failure_sort_key)


def pair_status(summaries: list[dict]) -> dict[str, dict]:
    """Fold the tests of each pair (dtypes × kinds) into one status per pair."""
    f32_only = float32_only(summaries)
    pairs: dict[str, dict] = {}
    for s in sort_summaries(summaries):
        s = _effective(s, f32_only)
        p = pairs.setdefault(s["pair"], {"pair": s["pair"], "area": s["area"], "status": "excluded",
                                         "cases": 0, "not_implemented_cases": 0, "excluded_cases": 0,
                                         "forward_error": 0.0, "gradient_error": 0.0, "failures": [],
                                         "missing_features": {}, "implemented_features": set(),
                                         "not_implemented_message": "", "dtypes": {}, "forced": set()})
        p["cases"] += s["cases"]
        p["not_implemented_cases"] += s.get("not_implemented", 0)
        p["excluded_cases"] += s.get("excluded", 0)
        p["forward_error"] = max(p["forward_error"], s["forward_error"])
        p["gradient_error"] = max(p["gradient_error"], s["gradient_error"])
        if s["status"] != "excluded" and (p["status"] == "excluded" or RANK[s["status"]] > RANK[p["status"]]):
            p["status"] = s["status"]
        p["dtypes"][s["dtype"]] = max(p["dtypes"].get(s["dtype"], "excluded"), s["status"], key=RANK.get)
        p["failures"] = _merge_failures(p["failures"], s["failures"])
        for feature, n in s.get("missing_features", {}).items():
            p["missing_features"][feature] = p["missing_features"].get(feature, 0) + n
        p["implemented_features"].update(s.get("implemented_features", []))
        p["forced"].update(s.get("forced_features", []))
        p["not_implemented_message"] = p["not_implemented_message"] or s.get("not_implemented_message", "")
    for p in pairs.values():
        p["missing_features"] = {f: n for f, n in sorted(p["missing_features"].items())
                                 if f not in p["implemented_features"] or f in p["forced"]}
        p["forced"] = sorted(p.pop("forced"))
        p["implemented_features"] = sorted(p["implemented_features"])
        p["capability"] = capability(p)
        downcast = [f for f in p["failures"] if f["group"] == DOWNCAST]
        if downcast and p["dtypes"].get("float64") == "failed" and all(
                f["group"] == DOWNCAST for f in p["failures"] if f["dtype"] == "float64"):
            downcast[0]["hint"] = "float32 only? every float64 case answered in float32 (check dtype handling)"
    return pairs


def capability(p: dict) -> str:
    """One line of the capability matrix: implemented / not implemented (which features) / wrong."""
    missing = ", ".join(p["missing_features"])
    if p["status"] == "passed":
        return "implemented"
    if p["status"] == "excluded":
        return "not graded (excluded by the profile)"
    wrong = ", ".join(dict.fromkeys(f["group"] for f in p["failures"]))
    parts = []
    if wrong:
        parts.append(f"wrong: {wrong}")
    if p["not_implemented_cases"]:
        if not p["cases"]:
            parts.append(f"not implemented ({p['not_implemented_message'] or 'the op'})")
        else:
            parts.append(f"not implemented: {missing or p['not_implemented_message']}")
    return "; ".join(parts)


def area_rows(pairs: dict[str, dict], other: list[dict]) -> list[list]:
    by_area: dict[str, dict] = defaultdict(lambda: {"passed": 0, "failed": 0, "not_implemented": 0,
                                                     "cases": 0, "fwd": 0.0, "grad": 0.0})
    for p in pairs.values():
        if p["status"] == "excluded":
            continue
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
    order = sorted(by_area, key=lambda area: (_area_key(area), area))
    return [[area, by_area[area]["passed"], by_area[area]["failed"], by_area[area]["not_implemented"],
             by_area[area]["cases"], f"{by_area[area]['fwd']:.1e}", f"{by_area[area]['grad']:.1e}"]
            for area in order]


def _unit_order() -> dict[str, int]:
    from difftests.registry import all_pairs
    return {p.name: i for i, p in enumerate(all_pairs())}


def _folded(pairs: dict[str, dict], status: str) -> list[tuple[dict, list[str]]]:
    """Pairs of `status`, spellings folded: [(the first spelling, [the other spellings])]."""
    order = _unit_order()
    chosen = sorted((p for p in pairs.values() if p["status"] == status),
                    key=lambda p: (_area_key(p["area"]), SPELLING.sub("", p["pair"]),
                                   bool(SPELLING.match(p["pair"])), p["pair"], order.get(p["pair"], 0)))
    folded: dict[tuple, tuple[dict, list]] = {}
    for p in chosen:
        key = (p["area"], SPELLING.sub("", p["pair"]))
        if key in folded:
            folded[key][1].append(p["pair"])
        else:
            folded[key] = (p, [])
    return list(folded.values())


def _failure_lines(p: dict, others: list[str], pairs: dict[str, dict]) -> list[str]:
    also = f" (also {', '.join(others)})" if others else ""
    failures = p["failures"]
    for name in others:
        failures = _merge_failures(failures, pairs[name]["failures"])
    lines = [f"\nFAILED {p['area']}/{p['pair']}{also}"]
    for f in failures:
        more = f" — {f['count'] - 1} more case(s) like this" if f["count"] > 1 else ""
        lines.append(f"  [{f['group']}] {f['dtype']}, {f['test']}{more}")
        lines.append(f"    input: {f['case']}")
        lines.append(f"    {f['message']}")
        lines.append(f"    hint: {f['hint']}")
    if p["not_implemented_cases"]:
        lines.append(f"  also not implemented: {', '.join(p['missing_features']) or p['not_implemented_message']}")
    return lines


def _folded_tests(tests: list[dict]) -> dict[tuple, list[str]]:
    """Parametrized behaviour tests folded into one line per test function."""
    folded: dict[tuple, list[str]] = {}
    for t in tests:
        reason = t["message"].replace("NOT IMPLEMENTED: ", "").replace("NotImplementedError: ", "")
        folded.setdefault((t["area"], t["test"].split("[")[0]), []).append(reason)
    return folded


def next_step(pairs: dict[str, dict], other: list[dict], errors: list[str] = ()) -> str:
    """The run's errors (the implementation did not load, ...), then the first failing, then the first
    missing unit, in course (area) order."""
    if errors:
        return "next step: fix the ERROR above"
    order = _unit_order()
    units = [(p["status"], p["area"], order.get(p["pair"], 0), p["pair"]) for p in pairs.values()]
    units += [(t["status"], t["area"], 10 ** 6, t["test"]) for t in other]
    for status, verb in (("failed", "fix"), ("not_implemented", "implement")):
        todo = sorted((_area_key(a), i, n, a) for s, a, i, n in units if s == status)
        if todo:
            _, _, name, area = todo[0]
            return f"next step: {verb} {area}/{name}"
    return "next step: nothing — every selected unit passed"


def capability_lines(pairs: dict[str, dict], summaries: list[dict], failures_only: bool = False) -> list[str]:
    lines = ["\nCAPABILITIES"]
    if float32_only(summaries):
        n = sum(s["downcast"] for s in summaries)
        lines.append(f"  float64: not supported ({n} cases answered in float32); the float32 report is complete")
    implemented = 0
    for p in sorted(pairs.values(), key=lambda p: (_area_key(p["area"]), p["pair"])):
        if failures_only and p["status"] in ("passed", "excluded"):
            continue
        if p["capability"] == "implemented":   # counted, not listed: a full run would print 240 such lines
            implemented += 1
            continue
        lines.append(f"  {p['area']}/{p['pair']}: {p['capability']}")
    if implemented:
        lines.append(f"  implemented, every case passed: {implemented} pair(s) (each pair's capability is in --json)")
    return lines


def render(summaries: list[dict], other: list[dict], errors: list[str], seed: str | None = None,
           failures_only: bool = False, profile: str | None = None) -> str:
    pairs = pair_status(summaries)
    other = sort_tests(other)
    rows = area_rows(pairs, other)
    headers = ["area", "passed", "failed", "not impl.", "cases", "worst fwd err", "worst grad err"]
    lines = [tabulate(rows, headers=headers, tablefmt="github")]
    if seed is not None or profile:
        lines.append(f"\nseed: {seed} (reproduce with --seed {seed})" + (f"; profile: {profile}" if profile else ""))
    for p, others in _folded(pairs, "failed"):
        lines += _failure_lines(p, others, pairs)
    for t in other:
        if t["status"] == "failed":
            lines.append(f"\nFAILED {t['area']}/{t['test']}\n  {t['message']}")
    missing = _folded(pairs, "not_implemented")
    missing_tests = [t for t in other if t["status"] == "not_implemented"]
    if (missing or missing_tests) and not failures_only:
        lines.append("")
        for p, others in missing:
            also = f" (also {', '.join(others)})" if others else ""
            what = ", ".join(p["missing_features"]) if p["cases"] else p["not_implemented_message"]
            lines.append(f"NOT IMPLEMENTED {p['area']}/{p['pair']}{also}: {what or p['not_implemented_message']}")
        for (area, test), reasons in _folded_tests(missing_tests).items():
            count = f" ({len(reasons)} cases)" if len(reasons) > 1 else ""
            lines.append(f"NOT IMPLEMENTED {area}/{test}{count}: {'; '.join(sorted(set(reasons)))}")
    not_run = [t for t in other if t["status"] == "not_run"]
    if not_run and not failures_only:
        lines.append(f"\nNOT RUN: {len(not_run)} in-process test(s) cannot run against an isolated "
                     "implementation: " + ", ".join(sorted({t['area'] + '/' + t['test'] for t in not_run})[:10]))
    lines += capability_lines(pairs, summaries, failures_only)
    for e in errors:
        lines.append(f"\nERROR {e}")
    lines.append("\n" + next_step(pairs, other, errors))
    return "\n".join(lines)


def as_json(summaries: list[dict], other: list[dict], errors: list[str], impl: str,
            seed: str | None = None, profile: str | None = None) -> dict:
    pairs = pair_status(summaries)
    other = sort_tests(other)
    graded = [p for p in pairs.values() if p["status"] != "excluded"]
    return {"schema": "tiny-difftests/2", "impl": impl, "seed": seed, "profile": profile,
            "passed": all(p["status"] == "passed" for p in graded)
                      and all(t["status"] in ("passed", "not_run") for t in other) and not errors and bool(graded),
            "float32_only": float32_only(summaries),
            "pairs": sorted(pairs.values(), key=lambda p: p["pair"]), "tests": other, "errors": sorted(errors),
            "next_step": next_step(pairs, other, errors), "summaries": sort_summaries(summaries)}
