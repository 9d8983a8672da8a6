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


def test_int8_decoder_matches_tiny_fp32_and_torch_int8_cached_generation():
    """fp32: the decoder equals tiny's generate. INT8: the activation qparams come from each call's rows (the
    prefill, then one row per step), so the reference is torch's INT8 model generating with its KV cache."""
    import torch
    from torch.ao.quantization import quantize_dynamic

    from reference.generation import generate as torch_generate
    from reference.models.gpt import GPT as TorchGPT
    from reference.models.gpt import GPTConfig as TorchGPTConfig
    from tiny.generation import generate
    from tiny.models import GPT, GPTConfig
    config = dict(vocab_size=23, d_model=32, n_layer=2, n_head=2, context_length=24)
    tiny.manual_seed(0)
    model = GPT(GPTConfig(**config)).eval()
    idx = np.random.default_rng(0).integers(0, 23, (1, 5))
    want = generate(model, tiny.tensor(idx), 12, temperature=0).data
    np.testing.assert_array_equal(Int8Decoder(model).generate(idx, 12), want)
    reference = TorchGPT(TorchGPTConfig(**config)).eval()
    reference.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in model.state_dict().items()})
    torch_int8 = quantize_dynamic(reference, {torch.nn.Linear}, dtype=torch.qint8)
    want = torch_generate(torch_int8, torch.from_numpy(idx), 12, temperature=0).numpy()
    np.testing.assert_array_equal(Int8Decoder(tiny.quant.quantize_dynamic(model)).generate(idx, 12), want)


def test_quantized_state_dict_round_trip():
    """A quantized model's state_dict (int8 codes, scales, zero points, biases) loads into another quantized
    model of the same shape, which then computes the same outputs (the cached per-row qparams refresh)."""
    from tiny import nn
    tiny.manual_seed(1)
    first = tiny.quant.quantize_dynamic(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)))
    second = tiny.quant.quantize_dynamic(nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3)))
    x = tiny.randn(4, 6)
    second(x)                                  # fills the cache with the old weights' qparams
    second.load_state_dict(first.state_dict())
    assert first.state_dict()["0.qweight"].dtype == tiny.int8
    np.testing.assert_array_equal(second(x).data, first(x).data)
