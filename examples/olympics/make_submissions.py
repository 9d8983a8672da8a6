"""The Olympics worked example on MNIST: a baseline MLP (784-256-256-10), a distilled student (784-128-10), and the
student 50 % pruned (magnitude, fine-tuned, made permanent) then INT8 dynamically quantized — every model measured
with tiny.bench.Benchmark, scored, validated and written as submissions; plus two submissions that must NOT make
the leaderboard (forged numbers; a missing weights file).

    python examples/olympics/make_submissions.py          # trains (~1 min), writes examples/olympics/submissions/
    python -m perf olympics examples/olympics/submissions --out examples/olympics/leaderboard

What the measured bytes are (tiny.bench.model_bytes: every array of the state dict, as stored): float32 weights 4
bytes each; the INT8 model's codes 1 byte each plus, per output row, a float64 scale and an int64 zero point
(per-channel quantization) and its float32 biases. The pruned zeros are stored densely (an int8 0 is still 1
byte), so pruning by itself does not shrink the measured model; it is visible only in the codes' sparsity and in
the compressed .npz on disk, which this script prints but nothing scores.
"""
from __future__ import annotations

import copy
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
from tiny.bench import (SANITY_LIMITS, Benchmark, calculate_normalized_scores, generate_submission,  # noqa: E402
                        load_split)
from tiny.nn.utils import prune  # noqa: E402
from tiny.nn.utils.distill import distillation_loss  # noqa: E402
from tiny.quant import model_size_bytes, quantize_dynamic  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "submissions")
BASELINE_SIZES, STUDENT_SIZES = [784, 256, 256, 10], [784, 128, 10]
PRUNE_AMOUNT, QUANTIZED = 0.5, "dynamic_int8_per_channel"
REPO = "https://github.com/example/tiny-olympics-demo"


def train(model, x, y, epochs, teacher_logits=None, lr=1e-3, seed=0):
    """Adam, batch 64; with teacher logits: tiny.nn.utils.distill.distillation_loss (T = 4, alpha = 0.5)."""
    optimizer = tiny.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), 64):
            idx = order[start:start + 64]
            logits = model(tiny.tensor(x[idx]))
            if teacher_logits is None:
                loss = F.cross_entropy(logits, tiny.tensor(y[idx]))
            else:
                loss = distillation_loss(logits, tiny.tensor(teacher_logits[idx]), tiny.tensor(y[idx]),
                                         temperature=4.0, alpha=0.5)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def logits_of(model, x):
    with tiny.no_grad():
        return np.concatenate([model(tiny.tensor(x[s:s + 1024])).data for s in range(0, len(x), 1024)])


def prune_and_finetune(student, x, y, teacher_logits):
    """A copy of the student, 50 % of each Linear's weights pruned by magnitude (L1, per layer), fine-tuned one
    epoch with the masks held, then the pruning made permanent (prune.remove: plain weights with exact zeros)."""
    pruned = copy.deepcopy(student)
    linears = [m for m in pruned.modules() if isinstance(m, tiny.nn.Linear)]
    for layer in linears:
        prune.l1_unstructured(layer, "weight", amount=PRUNE_AMOUNT)
    train(pruned, x, y, epochs=1, teacher_logits=teacher_logits, lr=3e-4, seed=2)
    for layer in linears:
        prune.remove(layer, "weight")
    return pruned, prune.global_sparsity([(m, "weight") for m in linears])


def save(model, name):
    np.savez(os.path.join(OUT, name), **{k: v.data for k, v in model.state_dict().items()})


def spec(sizes, weights, quantized=None):
    return {"architecture": "MLP", "config": {"sizes": sizes}, "weights": weights, "input": "flat",
            **({"quantized": quantized} if quantized else {})}


def build_models():
    train_x, train_y, test_x, test_y = load_split("mnist", "flat")
    tiny.manual_seed(0)
    baseline = train(tiny.models.MLP(BASELINE_SIZES), train_x, train_y, epochs=3)
    teacher_logits = logits_of(baseline, train_x)
    tiny.manual_seed(1)
    student = train(tiny.models.MLP(STUDENT_SIZES), train_x, train_y, epochs=3, teacher_logits=teacher_logits, seed=1)
    pruned, sparsity = prune_and_finetune(student, train_x, train_y, teacher_logits)
    int8 = quantize_dynamic(pruned, per_channel=QUANTIZED.endswith("per_channel"))
    codes = [m.qweight.data for m in int8.modules() if hasattr(m, "qweight")]
    code_sparsity = sum(int((c == 0).sum()) for c in codes) / sum(c.size for c in codes)
    print(f"pruned: {sparsity:.1%} of the student's weights are 0 after fine-tuning; {code_sparsity:.1%} of the "
          f"int8 codes are 0; model_size_bytes(int8) = {model_size_bytes(int8):,}")
    return {"baseline": baseline, "distilled": student, "int8_pruned": int8}, (test_x, test_y)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    models, test = build_models()
    save(models["baseline"], "baseline.npz")
    save(models["distilled"], "distilled.npz")
    save(models["int8_pruned"], "int8_pruned.npz")
    compressed = os.path.join(OUT, "_compressed_probe.npz")
    np.savez_compressed(compressed, **{k: v.data for k, v in models["int8_pruned"].state_dict().items()})
    print(f"int8_pruned.npz on disk: {os.path.getsize(os.path.join(OUT, 'int8_pruned.npz')):,} B; zip-compressed "
          f"{os.path.getsize(compressed):,} B (not scored: the leaderboard measures the arrays in memory)")
    os.remove(compressed)

    results = Benchmark(models, test, warmup=5, repeats=30).run()
    for m in results.values():
        print(f"{m.name:12s} latency {m.latency.median * 1e6:8.1f} us/batch (std {m.latency.std * 1e6:.1f}), "
              f"{m.memory_bytes:,} B, accuracy {m.accuracy:.4f}")
    write_submissions(results)
    write_rejected(results)


def write_submissions(results) -> None:
    """The scored entries: each optimized model against the baseline, with the numbers measured above."""
    base = results["baseline"].metrics()
    env = {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine()}
    common = dict(repository=REPO, honor_code=True, dataset="mnist", environment=env,
                  baseline_model=spec(BASELINE_SIZES, "baseline.npz"), baseline_metrics=base)
    distill_techniques = ["knowledge distillation (T=4, alpha=0.5)", "narrower MLP (784-128-10)"]
    int8_techniques = distill_techniques + ["50 % L1-unstructured pruning per layer, fine-tuned 1 epoch, made "
                                            "permanent (zeros stored densely)", "INT8 dynamic quantization, "
                                            "per-channel symmetric weights"]
    entries = [("distill-all-around.json", "distill", "all_around", "open", "distilled", distill_techniques),
               ("distill-memory.json", "distill", "memory_challenge", "open", "distilled", distill_techniques),
               ("int8-pruned-memory.json", "int8-pruned", "memory_challenge", None, "int8_pruned", int8_techniques),
               ("int8-pruned-extreme.json", "int8-pruned", "extreme_push", None, "int8_pruned", int8_techniques),
               ("baseline-accuracy.json", "baseline", "accuracy_contest", "closed", "baseline",
                ["none (the baseline itself)"])]
    files = {"baseline": spec(BASELINE_SIZES, "baseline.npz"), "distilled": spec(STUDENT_SIZES, "distilled.npz"),
             "int8_pruned": spec(STUDENT_SIZES, "int8_pruned.npz", QUANTIZED)}
    for filename, team, event, division, name, techniques in entries:
        opt = results[name].metrics()
        scores = calculate_normalized_scores(base, opt)
        if division is None:   # closed when the accuracy drop respects the closed division's 1 pp
            division = "closed" if -scores["accuracy_delta"] <= SANITY_LIMITS["closed_max_accuracy_drop_pp"] else "open"
        _, report = generate_submission(os.path.join(OUT, filename), team=team, event=event, division=division,
                                        optimized_model=files[name], optimized_metrics=opt, techniques=techniques,
                                        **common)
        print(f"{filename}: {division}, normalized {({k: round(v, 4) for k, v in scores.items()})}, "
              f"validation {report.as_dict()}")


def write_rejected(results) -> None:
    """Two submissions that must not rank: forged numbers (written by hand, so generate_submission's check is
    bypassed) and a weights file that does not exist."""
    base, opt = results["baseline"].metrics(), results["distilled"].metrics()
    forged = json.load(open(os.path.join(OUT, "distill-memory.json")))
    forged.update(team="too-good-to-be-true", event="latency_sprint", division="closed")
    forged["optimized"]["metrics"] = {**opt, "latency_s": base["latency_s"] / 120, "accuracy": base["accuracy"]}
    forged["normalized"] = calculate_normalized_scores(base, forged["optimized"]["metrics"])
    json.dump(forged, open(os.path.join(OUT, "forged-latency.json"), "w"), indent=2)
    missing = json.load(open(os.path.join(OUT, "int8-pruned-extreme.json")))
    missing.update(team="lost-weights")
    missing["optimized"]["model"]["weights"] = "int4_pruned.npz"
    json.dump(missing, open(os.path.join(OUT, "missing-weights.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
