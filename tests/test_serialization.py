"""tiny.save / tiny.load: safetensors files that round-trip exactly, that safetensors.torch reads into the torch
twins (and the reverse), and clear errors naming the file for truncated, corrupted or mismatched files."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import tiny
from reference import serialization as torch_serialization
from reference.models.lenet import LeNet5 as TorchLeNet5
from tiny.models import LeNet5, MLP

BATCH = np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32)
LABELS = np.array([1, 7, 3, 0])


def tiny_training(model, steps: int = 2):
    """A model, its AdamW and StepLR after `steps` steps (so the optimizer and scheduler have state)."""
    optimizer = tiny.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.1)
    scheduler = tiny.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for _ in range(steps):
        optimizer.zero_grad()
        tiny.nn.functional.cross_entropy(model(tiny.tensor(BATCH)), tiny.tensor(LABELS)).backward()
        optimizer.step()
        scheduler.step()
    return optimizer, scheduler


def torch_step(model, optimizer, scheduler) -> float:
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(torch.tensor(BATCH)), torch.tensor(LABELS))
    loss.backward()
    optimizer.step()
    scheduler.step()
    return loss.item()


def assert_same(a, b, where="obj"):
    """Structural equality: same types (Tensor / ndarray / list / tuple / dict with key types), exact values."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, tiny.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a.numpy(), b.numpy()), where
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def test_a_full_checkpoint_round_trips_exactly(tmp_path):
    model = LeNet5()
    optimizer, scheduler = tiny_training(model)
    checkpoint = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                  "scheduler": scheduler.state_dict(), "epoch": 3, "note": "lenet", "best": 0.25, "none": None,
                  "extremes": [float("inf"), -float("inf"), float("nan"), 1e-310, 2 ** 62, True],
                  "arrays": {"int8": np.arange(-3, 3, dtype=np.int8), "bool": np.array([True, False]),
                             "f64 0-d": np.array(2.5), "empty": np.zeros((0, 3), np.float32)}}
    tiny.save(checkpoint, tmp_path / "ckpt.safetensors")
    assert_same(tiny.load(tmp_path / "ckpt.safetensors"), checkpoint)


def test_a_model_state_dict_is_a_plain_safetensors_file_torch_loads(tmp_path):
    model = LeNet5()
    tiny.save(model.state_dict(), tmp_path / "model.safetensors")
    tensors = load_file(tmp_path / "model.safetensors")
    assert sorted(tensors) == sorted(model.state_dict())
    twin = TorchLeNet5()
    twin.load_state_dict(tensors)  # strict: same keys and shapes
    expected = model(tiny.tensor(BATCH)).detach().numpy()
    np.testing.assert_array_equal(twin(torch.tensor(BATCH)).detach().numpy().shape, expected.shape)
    np.testing.assert_allclose(twin(torch.tensor(BATCH)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_torch_continues_training_from_a_tiny_checkpoint_like_tiny(tmp_path):
    """model + AdamW + StepLR saved by tiny, loaded by the torch twin: the next step's loss and weights match
    tiny's next step (float64, so the comparison is tight)."""
    model = LeNet5().to(tiny.float64)
    global BATCH
    saved_batch, BATCH = BATCH, BATCH.astype(np.float64)
    try:
        optimizer, scheduler = tiny_training(model)
        tiny.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                   "scheduler": scheduler.state_dict()}, tmp_path / "ckpt.safetensors")
        checkpoint = torch_serialization.load(tmp_path / "ckpt.safetensors")
        twin = TorchLeNet5().double()
        twin.load_state_dict(checkpoint["model"])
        torch_optimizer = torch.optim.AdamW(twin.parameters(), lr=1e-2, weight_decay=0.1)
        torch_optimizer.load_state_dict(checkpoint["optimizer"])
        torch_scheduler = torch.optim.lr_scheduler.StepLR(torch_optimizer, step_size=1, gamma=0.5)
        torch_scheduler.load_state_dict(checkpoint["scheduler"])
        torch_loss = torch_step(twin, torch_optimizer, torch_scheduler)
        optimizer.zero_grad()
        loss = tiny.nn.functional.cross_entropy(model(tiny.tensor(BATCH)), tiny.tensor(LABELS))
        loss.backward()
        optimizer.step()
        scheduler.step()
    finally:
        BATCH = saved_batch
    assert abs(loss.item() - torch_loss) < 1e-12
    assert torch_scheduler.get_last_lr() == scheduler.get_last_lr()
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=key)


def test_tiny_continues_from_a_checkpoint_torch_wrote(tmp_path):
    torch.manual_seed(0)
    twin = TorchLeNet5()
    torch_optimizer = torch.optim.AdamW(twin.parameters(), lr=1e-2)
    torch_scheduler = torch.optim.lr_scheduler.StepLR(torch_optimizer, step_size=1, gamma=0.5)
    torch_step(twin, torch_optimizer, torch_scheduler)
    torch_serialization.save({"model": twin.state_dict(), "optimizer": torch_optimizer.state_dict(),
                              "scheduler": torch_scheduler.state_dict()}, tmp_path / "ckpt.safetensors")
    save_file(twin.state_dict(), tmp_path / "plain.safetensors")

    plain = tiny.load(tmp_path / "plain.safetensors")  # no tree: {name: Tensor}
    assert sorted(plain) == sorted(twin.state_dict())
    checkpoint = tiny.load(tmp_path / "ckpt.safetensors")
    model = LeNet5()
    model.load_state_dict(checkpoint["model"])
    optimizer = tiny.optim.AdamW(model.parameters(), lr=1e-2)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler = tiny.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scheduler.load_state_dict(checkpoint["scheduler"])
    assert scheduler.get_last_lr() == torch_scheduler.get_last_lr()
    for key, value in twin.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key].numpy(), value.numpy(), err_msg=key)
        np.testing.assert_array_equal(plain[key].numpy(), value.numpy(), err_msg=key)
    torch_loss = torch_step(twin, torch_optimizer, torch_scheduler)
    optimizer.zero_grad()
    loss = tiny.nn.functional.cross_entropy(model(tiny.tensor(BATCH)), tiny.tensor(LABELS))
    loss.backward()
    optimizer.step()
    assert abs(loss.item() - torch_loss) < 1e-5


def _write(path, raw: bytes):
    path.write_bytes(raw)
    return path


def _good(tmp_path) -> bytes:
    tiny.save(MLP([3, 2]).state_dict(), tmp_path / "good.safetensors")
    return (tmp_path / "good.safetensors").read_bytes()


def _with_header(raw: bytes, change) -> bytes:
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    change(header)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + raw[8 + length:]


@pytest.mark.parametrize("damage, message", [
    (lambda raw: raw[:5], "truncated: 5 bytes"),
    (lambda raw: raw[:40], "truncated or not a safetensors file"),
    (lambda raw: raw[:-4], "truncated: tensor"),
    (lambda raw: raw + b"\0" * 8, "8 bytes after the last tensor"),
    (lambda raw: raw[:8] + b"}" + raw[9:], "not valid JSON"),
    (lambda raw: _with_header(raw, lambda h: h["layers.0.weight"].update(shape=[2, 4])), "needs 32"),
    (lambda raw: _with_header(raw, lambda h: h["layers.0.weight"].update(dtype="F8_E4M3")), "does not read"),
    (lambda raw: _with_header(raw, lambda h: h["__metadata__"].update(__tiny_tree__=json.dumps(
        {"dict": [["w", {"tensor": "missing"}]]}))), "refers to tensor 'missing'"),
])
def test_damaged_files_raise_errors_naming_the_file_and_the_problem(tmp_path, damage, message):
    path = _write(tmp_path / "damaged.safetensors", damage(_good(tmp_path)))
    with pytest.raises(ValueError) as error:
        tiny.load(path)
    assert str(path) in str(error.value) and message in str(error.value), str(error.value)


def test_missing_file_and_unsavable_objects(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        tiny.load(tmp_path / "nope.safetensors")
    with pytest.raises(TypeError, match=r"obj\['f'\] is a function"):
        tiny.save({"f": lambda: 0}, tmp_path / "x.safetensors")
    with pytest.raises(ValueError, match="used twice"):
        tiny.save({"a.b": np.zeros(1), "a": {"b": np.zeros(1)}}, tmp_path / "x.safetensors")


def test_a_checkpoint_of_another_model_is_refused_naming_the_keys(tmp_path):
    tiny.save(MLP([3, 4, 2]).state_dict(), tmp_path / "mlp.safetensors")
    with pytest.raises(RuntimeError, match="layers.0.weight"):
        LeNet5().load_state_dict(tiny.load(tmp_path / "mlp.safetensors"))
