"""The Olympics worked example: a baseline MLP on the digits, an optimized (distilled, smaller) MLP, both
measured with tiny.bench.Benchmark, scored, validated and written as submissions; plus two submissions that
must NOT make the leaderboard (forged numbers; a missing weights file).

    python examples/olympics/make_submissions.py          # trains (~10 s), writes examples/olympics/submissions/
    python -m perf olympics examples/olympics/submissions --out examples/olympics/leaderboard

The optimization here is knowledge distillation into a 4x narrower MLP (64-256-256-10 -> 64-48-10), which shrinks the stored model
for real.
"""
from __future__ import annotations

import json
import os
import platform
import sys

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one BLAS thread, as perf does
    os.environ[_variable] = "1"

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, ROOT)

import tiny  # noqa: E402
import tiny.nn.functional as F  # noqa: E402
from tiny.bench import Benchmark, calculate_normalized_scores, generate_submission, load_split  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "submissions")
BASELINE_SIZES, STUDENT_SIZES = [64, 256, 256, 10], [64, 48, 10]
REPO = "https://github.com/example/tiny-olympics-demo"


def train(model, x, y, epochs, teacher=None, temperature=4.0, alpha=0.5, seed=0):
    """Adam, batch 64; with a teacher: alpha * CE + (1 - alpha) * T^2 * KL(teacher_T || student_T)."""
    optimizer = tiny.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(seed)
    soft = None
    if teacher is not None:
        with tiny.no_grad():
            soft = F.softmax(teacher(tiny.tensor(x)) / temperature, dim=-1).data
    for _ in range(epochs):
        for start in range(0, len(y), 64):
            idx = np.arange(start, min(start + 64, len(y)))
            logits = model(tiny.tensor(x[idx]))
            loss = F.cross_entropy(logits, tiny.tensor(y[idx]))
            if soft is not None:
                kl = F.kl_div(F.log_softmax(logits / temperature, dim=-1), tiny.tensor(soft[idx]), reduction="batchmean")
                loss = alpha * loss + (1 - alpha) * temperature ** 2 * kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        order = rng.permutation(len(y))
        x, y = x[order], y[order]
        if soft is not None:
            soft = soft[order]
    return model.eval()


def save(model, name):
    np.savez(os.path.join(OUT, name), **{k: v.data for k, v in model.state_dict().items()})


def spec(sizes, weights):
    return {"architecture": "MLP", "config": {"sizes": sizes}, "weights": weights, "input": "flat"}


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    train_x, train_y, test_x, test_y = load_split("digits", "flat")
    tiny.manual_seed(0)
    baseline = train(tiny.models.MLP(BASELINE_SIZES), train_x, train_y, epochs=30)
    tiny.manual_seed(1)
    student = train(tiny.models.MLP(STUDENT_SIZES), train_x, train_y, epochs=60, teacher=baseline)
    save(baseline, "baseline.npz")
    save(student, "distilled.npz")

    results = Benchmark({"baseline": baseline, "distilled": student}, (test_x, test_y), warmup=5, repeats=30).run()
    for m in results.values():
        print(f"{m.name:10s} latency {m.latency.median * 1e6:8.1f} us/batch (std {m.latency.std * 1e6:.1f}), "
              f"{m.memory_bytes:,} B, accuracy {m.accuracy:.4f}")
    base, opt = results["baseline"].metrics(), results["distilled"].metrics()
    scores = calculate_normalized_scores(base, opt)
    print("normalized:", {k: round(v, 4) for k, v in scores.items()})
    env = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()}
    common = dict(repository=REPO, honor_code=True, dataset="digits", environment=env,
                  baseline_model=spec(BASELINE_SIZES, "baseline.npz"), baseline_metrics=base)

    _, report = generate_submission(os.path.join(OUT, "distill-all-around.json"), team="distill", event="all_around",
                                    division="open", optimized_model=spec(STUDENT_SIZES, "distilled.npz"),
                                    optimized_metrics=opt, techniques=["knowledge distillation", "narrower MLP"],
                                    **common)
    print("distill-all-around.json:", report.as_dict())
    _, report = generate_submission(os.path.join(OUT, "distill-memory.json"), team="distill", event="memory_challenge",
                                    division="open", optimized_model=spec(STUDENT_SIZES, "distilled.npz"),
                                    optimized_metrics=opt, techniques=["knowledge distillation", "narrower MLP"],
                                    **common)
    print("distill-memory.json:", report.as_dict())
    _, report = generate_submission(os.path.join(OUT, "baseline-accuracy.json"), team="baseline",
                                    event="accuracy_contest", division="closed",
                                    optimized_model=spec(BASELINE_SIZES, "baseline.npz"), optimized_metrics=base,
                                    techniques=["none (the baseline itself)"], **common)
    print("baseline-accuracy.json:", report.as_dict())

    # Two submissions that must not rank: forged numbers (written by hand, so generate_submission's check is
    # bypassed) and a weights file that does not exist.
    forged = json.load(open(os.path.join(OUT, "distill-memory.json")))
    forged.update(team="too-good-to-be-true", event="latency_sprint", division="closed")
    forged["optimized"]["metrics"] = {**opt, "latency_s": base["latency_s"] / 120, "accuracy": base["accuracy"]}
    forged["normalized"] = calculate_normalized_scores(base, forged["optimized"]["metrics"])
    json.dump(forged, open(os.path.join(OUT, "forged-latency.json"), "w"), indent=2)
    missing = json.load(open(os.path.join(OUT, "distill-memory.json")))
    missing.update(team="lost-weights", event="extreme_push")
    missing["optimized"]["model"]["weights"] = "int8_pruned.npz"
    json.dump(missing, open(os.path.join(OUT, "missing-weights.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
