"""`python -m perf olympics DIR [--out OUT] [--repeats N]`: the Olympics leaderboard, re-measured here.

Every `*.json` in DIR is a submission (tiny.bench.submission). For each one:
1. its file is validated (schema, honor code, repository, sanity limits, its own numbers' consistency);
2. its baseline and optimized models are loaded from what it names (weights .npz or a builder) — a failure
   is reported and the next submission goes on;
3. both models are measured on this machine (tiny.bench.Benchmark: latency, model bytes, accuracy on the
   dataset's held-out split) and the normalized scores are computed from THESE numbers; the self-reported
   ones are shown beside them, never used;
4. the measured scores must pass the sanity limits, the division's rule and the event's constraints.
A submission ranks in its event only if 1, 2 and 4 hold. Writes OUT/leaderboard.md, leaderboard.csv,
leaderboard.png and results.json (OUT defaults to DIR/leaderboard).
"""
from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import sys
from typing import Any

import perf  # noqa: F401  (pins the thread pools before NumPy / torch load)


def measure_submission(path: str, warmup: int, repeats: int, cache: dict) -> dict:
    from tiny.bench import Benchmark, OlympicEvent, calculate_normalized_scores, load_model, load_split
    from tiny.bench.submission import check_scores

    entry: dict[str, Any] = {"file": os.path.basename(path), "status": "scored", "problems": [], "warnings": []}
    from tiny.bench import validate_submission
    report = validate_submission(path)
    entry["problems"] += [f"submission: {e}" for e in report.errors]
    entry["warnings"] += [f"submission: {w}" for w in report.warnings]
    try:
        with open(path) as f:
            submission = json.load(f)
        entry.update(team=submission.get("team"), event=submission.get("event"), division=submission.get("division"),
                     reported=submission.get("normalized"))
        OlympicEvent.parse(submission.get("event"))
        data = {}
        for role in ("baseline", "optimized"):
            spec = submission[role]["model"]
            split = cache.setdefault((submission["dataset"], spec.get("input", "flat")),
                                     load_split(submission["dataset"], spec.get("input", "flat")))
            data[role] = (load_model(spec, os.path.dirname(path)), split)
    except Exception as exc:  # noqa: BLE001 - a submission that cannot load is reported, the rest go on
        entry["status"] = "load failed"
        entry["problems"].append(f"{type(exc).__name__}: {exc}")
        return entry
    (base_model, base_split), (opt_model, opt_split) = data["baseline"], data["optimized"]
    if base_split is opt_split:  # one Benchmark: the two models' latency samples interleave
        measured = Benchmark({"baseline": base_model, "optimized": opt_model}, base_split[2:], warmup=warmup,
                             repeats=repeats).run()
    else:
        measured = {role: Benchmark({role: model}, split[2:], warmup=warmup, repeats=repeats).run()[role]
                    for role, (model, split) in data.items()}
    entry["measured"] = {role: m.as_dict() for role, m in measured.items()}
    scores = calculate_normalized_scores(measured["baseline"].metrics(), measured["optimized"].metrics())
    entry["scores"] = scores
    errors, warnings = check_scores(scores, submission.get("division"), submission.get("event"))
    entry["problems"] += [f"measured: {e}" for e in errors]
    entry["warnings"] += [f"measured: {w}" for w in warnings]
    event = OlympicEvent.parse(submission["event"])
    entry["event_score"] = event.rules.score(scores)
    if entry["problems"]:
        entry["status"] = "rejected"
    return entry


def leaderboards(entries: list[dict]) -> dict[str, list[dict]]:
    from tiny.bench import OlympicEvent
    boards = {}
    for event in OlympicEvent:
        ranked = [e for e in entries if e["status"] == "scored" and e.get("event") == event.value]
        boards[event.value] = sorted(ranked, key=lambda e: -e["event_score"])
    return boards


def markdown(entries: list[dict], boards: dict) -> str:
    from tiny.bench import OlympicEvent
    lines = ["# Olympics leaderboard (re-measured on this machine)", ""]
    for event in OlympicEvent:
        rows = boards[event.value]
        lines += [f"## {event.rules.title} (`{event.value}`): score = {event.rules.score_name}", ""]
        if not rows:
            lines += ["(no scored submission)", ""]
            continue
        lines += ["| rank | team | division | score | speedup | compression | accuracy | Δ accuracy (pp) | file |",
                  "|---:|---|---|---:|---:|---:|---:|---:|---|"]
        for rank, e in enumerate(rows, 1):
            s = e["scores"]
            lines.append(f"| {rank} | {e['team']} | {e['division']} | {e['event_score']:.3f} | {s['speedup']:.2f}x | "
                         f"{s['compression_ratio']:.2f}x | {100 * s['accuracy']:.2f}% | {s['accuracy_delta']:+.2f} | "
                         f"{e['file']} |")
        lines.append("")
    lines += ["## Every submission", "", "| file | team | event | status | problems and warnings |", "|---|---|---|---|---|"]
    for e in entries:
        notes = "; ".join(e["problems"] + e["warnings"]).replace("|", "/") or "-"
        lines.append(f"| {e['file']} | {e.get('team')} | {e.get('event')} | {e['status']} | {notes} |")
    reported = [e for e in entries if e.get("reported") and e.get("scores")]
    if reported:
        lines += ["", "## Self-reported vs measured here", "",
                  "| file | reported speedup | measured speedup | reported compression | measured compression |",
                  "|---|---:|---:|---:|---:|"]
        for e in reported:
            r, s = e["reported"], e["scores"]
            lines.append(f"| {e['file']} | {r.get('speedup', float('nan')):.2f}x | {s['speedup']:.2f}x | "
                         f"{r.get('compression_ratio', float('nan')):.2f}x | {s['compression_ratio']:.2f}x |")
    return "\n".join(lines) + "\n"


def write_csv(path: str, entries: list[dict]) -> None:
    fields = ["file", "team", "event", "division", "status", "event_score", "speedup", "compression_ratio",
              "accuracy", "accuracy_delta", "baseline_latency_s", "optimized_latency_s", "baseline_bytes",
              "optimized_bytes", "problems"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for e in entries:
            s, m = e.get("scores", {}), e.get("measured", {})
            writer.writerow({"file": e["file"], "team": e.get("team"), "event": e.get("event"),
                             "division": e.get("division"), "status": e["status"],
                             "event_score": e.get("event_score"), **{k: s.get(k) for k in
                                                                    ("speedup", "compression_ratio", "accuracy",
                                                                     "accuracy_delta")},
                             "baseline_latency_s": m.get("baseline", {}).get("latency", {}).get("median"),
                             "optimized_latency_s": m.get("optimized", {}).get("latency", {}).get("median"),
                             "baseline_bytes": m.get("baseline", {}).get("memory_bytes"),
                             "optimized_bytes": m.get("optimized", {}).get("memory_bytes"),
                             "problems": "; ".join(e["problems"])})


def plot(path: str, boards: dict) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tiny.bench import OlympicEvent
    fig, axes = plt.subplots(1, len(boards), figsize=(3.2 * len(boards), 3.2))
    for ax, event in zip(axes, OlympicEvent):
        rows = boards[event.value]
        ax.set_title(event.rules.title, fontsize=9)
        ax.set_ylabel(event.rules.score_name, fontsize=8)
        if rows:
            ax.bar(range(len(rows)), [e["event_score"] for e in rows], color="tab:blue")
            ax.set_xticks(range(len(rows)), [e["team"] for e in rows], rotation=30, fontsize=7, ha="right")
        else:
            ax.text(0.5, 0.5, "no scored\nsubmission", ha="center", va="center", transform=ax.transAxes, fontsize=8)
            ax.set_xticks([])
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(directory: str, out: str | None = None, warmup: int = 5, repeats: int = 30) -> dict:
    from perf.common import pin_threads
    threads = pin_threads(with_torch=False)
    paths = sorted(glob.glob(os.path.join(directory, "*.json")))
    if not paths:
        raise FileNotFoundError(f"olympics: no *.json submission in {directory}")
    cache: dict = {}
    entries = [measure_submission(p, warmup, repeats, cache) for p in paths]
    boards = leaderboards(entries)
    out = out or os.path.join(directory, "leaderboard")
    os.makedirs(out, exist_ok=True)
    text = markdown(entries, boards)
    with open(os.path.join(out, "leaderboard.md"), "w") as f:
        f.write(text)
    write_csv(os.path.join(out, "leaderboard.csv"), entries)
    plot(os.path.join(out, "leaderboard.png"), boards)
    result = {"entries": entries, "leaderboards": {k: [e["file"] for e in v] for k, v in boards.items()},
              "threads": threads, "settings": {"warmup": warmup, "repeats": repeats}}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(result, f, indent=1)
    return {"markdown": text, **result, "out": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf olympics", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory", help="a folder of submission JSON files")
    parser.add_argument("--out", help="where the leaderboard goes (default DIR/leaderboard)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    try:
        result = run(args.directory, args.out, args.warmup, args.repeats)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result["markdown"])
    print(f"written: {result['out']}/leaderboard.md, leaderboard.csv, leaderboard.png, results.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
