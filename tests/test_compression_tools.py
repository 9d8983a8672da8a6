"""Smoke tests of the compression milestone (quick run) and of perf/quant.py's INT8 cached decoder."""
from __future__ import annotations

import numpy as np

import tiny
from milestones import RunOptions
from milestones.registry import run
from perf.quant import Int8Decoder


def test_compression_milestone_quick_run(tmp_path):
    result = run("compression", RunOptions(quick=True, progress=False, out_dir=tmp_path))
    assert result.passed, result.rows
    assert (tmp_path / "compression.png").exists() and (tmp_path / "compression.json").exists()
    labels = [label for label, _ in result.rows]
    assert "INT8 dynamic, per tensor" in labels and "pruned 90%, fine-tuned 1 epoch" in labels
    assert 0.0 <= result.metrics["fp32 teacher"] <= 1.0


def test_int8_decoder_equals_uncached_generation():
    from tiny.generation import generate
    from tiny.models import GPT, GPTConfig
    tiny.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=23, d_model=16, n_layer=2, n_head=2, context_length=24)).eval()
    idx = np.random.default_rng(0).integers(0, 23, (2, 5))
    for candidate in (model, tiny.quant.quantize_dynamic(model)):
        want = generate(candidate, tiny.tensor(idx), 10, temperature=0, use_cache=False).data
        np.testing.assert_array_equal(Int8Decoder(candidate).generate(idx, 10), want)
