"""The Olympics' datasets: a fixed, seeded train/test split, so every submission is measured on the same data."""
from __future__ import annotations

import numpy as np

__all__ = ["DATASETS", "load_split"]

DATASETS = ("digits", "mnist")
SPLIT_SEED, TEST_FRACTION = 0, 0.2


def load_split(dataset: str, input: str = "flat") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train_x, train_y, test_x, test_y), float32 images in [0, 1] and int64 labels.

    dataset "digits": scikit-learn's 1,797 8x8 digits, 20 % held out by a seeded permutation; "mnist": MNIST's
    own 60k/10k split. input "flat" gives (N, H*W) rows (MLPs), "image" (N, 1, H, W) (CNNs)."""
    from tiny.data import datasets

    if dataset not in DATASETS:
        raise ValueError(f"load_split: unknown dataset {dataset!r}; choose one of {list(DATASETS)}")
    if input not in ("flat", "image"):
        raise ValueError(f"load_split: input must be 'flat' or 'image', got {input!r}")
    if dataset == "digits":
        images, labels = datasets.load_digits()
        order = np.random.default_rng(SPLIT_SEED).permutation(len(labels))
        test = int(round(len(labels) * TEST_FRACTION))
        train_idx, test_idx = order[test:], order[:test]
        parts = (images[train_idx], labels[train_idx], images[test_idx], labels[test_idx])
    else:
        parts = (*datasets.load_mnist("train"), *datasets.load_mnist("test"))
    if input == "flat":
        parts = tuple(p.reshape(len(p), -1) if p.ndim > 1 else p for p in parts)
    return tuple(np.ascontiguousarray(p) for p in parts)
