"""Scenarios of the data area (torch-free): the implementation's `data` package, compared with
torch.utils.data in difftests/test_data.py.

The datasets, the collate inputs, the error cases and the shuffling checks are written against a `Side`
(a tensor constructor, a data package, a Tensor class, a way to read tensor values, a seeding
function), so that the trusted test builds exactly the same things with torch (`Side` over torch) as
the scenarios build with the implementation (`impl_side(lib)`). What comes back is `describe`d: a
plain, type-preserving description (container and scalar types by qualified name, tensors as dtype,
shape and values) that survives the wire.
"""
from __future__ import annotations

import collections
import warnings
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from difftests.scenarios import array, attempt, scenario

RNG = np.random.default_rng(0)
X10 = RNG.standard_normal((10, 3)).astype(np.float32)
Y10 = RNG.integers(0, 5, size=10)
IMAGES7 = RNG.standard_normal((7, 1, 2, 2))
Point = collections.namedtuple("Point", "x y")


# ----- reaching the implementation -------------------------------------------------------------------
class Side(SimpleNamespace):
    """tensor(array), data (the data package), Tensor (its class), values(tensor) -> np.ndarray, seed(int)."""


def impl_side(lib, *names: str) -> Side:
    """The implementation as a Side; `lib.data` or a needed name missing reports NOT IMPLEMENTED."""
    data = lib.data
    missing = [n for n in names if not hasattr(data, n)]
    if missing:
        raise NotImplementedError(f"data.{', data.'.join(missing)}")
    return Side(tensor=lib.tensor, data=data, Tensor=lib.Tensor, values=array, seed=lib.manual_seed)


def dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


def type_name(x: Any) -> str:
    return f"{type(x).__module__}.{type(x).__qualname__}"


def describe(side: Side, x: Any) -> dict:
    """x as plain data: Tensors and arrays by dtype/shape/values, containers and scalars with their types."""
    if isinstance(x, side.Tensor):
        return {"kind": "Tensor", "dtype": dtype_name(x.dtype), "shape": list(x.shape), "values": side.values(x)}
    if isinstance(x, np.ndarray):
        values = x.copy() if x.dtype.kind in "biuf" else x.tolist()
        return {"kind": "ndarray", "dtype": str(x.dtype), "shape": list(x.shape), "values": values}
    if isinstance(x, dict):
        return {"kind": "mapping", "type": type_name(x), "keys": [describe(side, k) for k in x],
                "values": [describe(side, v) for v in x.values()]}
    if isinstance(x, (list, tuple)):
        return {"kind": "sequence", "type": type_name(x), "items": [describe(side, v) for v in x]}
    if isinstance(x, (bytes, bytearray)):
        return {"kind": "scalar", "type": type_name(x), "value": bytes(x).hex()}
    if isinstance(x, np.generic):
        return {"kind": "scalar", "type": type_name(x), "value": x.item()}
    if x is None or isinstance(x, (bool, int, float, str)):
        return {"kind": "scalar", "type": type_name(x), "value": x}
    return {"kind": "object", "type": type_name(x), "repr": repr(x)}


def error_of(fn: Callable) -> dict | None:
    """What fn() raises: the exact exception class (qualified) and its message; None if nothing."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 — the exception class is the observation
        return {"type": type_name(exc), "message": str(exc)}
    return None


# ----- datasets, built the same way on both sides ---------------------------------------------------
def tensor_pair(side):
    return side.data.TensorDataset(side.tensor(X10), side.tensor(Y10))


def images(side):
    return side.data.TensorDataset(side.tensor(IMAGES7))


def empty(side):
    return side.data.TensorDataset(side.tensor(np.zeros((0, 3), np.float32)))


def records(side):
    """A list of nested dicts: arrays, ints, floats, bools, strings, tuples of lists."""
    return [{"x": X10[i], "label": int(Y10[i]), "weight": i / 4, "name": f"s{i}", "flag": i % 2 == 0,
             "tags": (i, [i * 0.5, np.int32(i)])} for i in range(9)]


def custom(side):
    """A Dataset subclass with NumPy scalars of several dtypes, 0-d arrays and a namedtuple."""
    class Squares(side.data.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return (np.arange(3, dtype=np.int32) * i, np.float32(i) / 3, [i, i * 1.5],
                    Point(np.uint8(i), np.array(i > 3)))
    return Squares()


def numbers(side):
    return range(6)


def tensor_dicts(side):
    return [{"t": side.tensor(X10[i]), "i": side.tensor(np.array(i)), "b": side.tensor(X10[i] > 0)}
            for i in range(5)]


DATASETS = {f.__name__: f for f in [tensor_pair, images, empty, records, custom, numbers, tensor_dicts]}
DATASET_NEEDS = {"tensor_pair": ("TensorDataset",), "images": ("TensorDataset",), "empty": ("TensorDataset",),
                 "custom": ("Dataset",)}

COLLATE_FNS = {
    "identity": lambda batch: batch,
    "first_field": lambda batch: [sample[0] for sample in batch],
    "count": lambda batch: len(batch),
}


def loader_kwargs(kwargs: dict) -> dict:
    """DataLoader keyword arguments, with collate_fn given by its name in COLLATE_FNS."""
    return {k: COLLATE_FNS[v] if k == "collate_fn" else v for k, v in kwargs.items()}


# ----- DataLoader without shuffling ------------------------------------------------------------------
@scenario("data.loader")
def loader(lib, dataset: str, kwargs: dict, epochs: int = 1) -> dict:
    """len, batch_size, drop_last and `epochs` epochs of DataLoader(DATASETS[dataset], **kwargs)."""
    side = impl_side(lib, "DataLoader", *DATASET_NEEDS.get(dataset, ()))
    made = side.data.DataLoader(DATASETS[dataset](side), **loader_kwargs(kwargs))
    return {"len": len(made), "batch_size": made.batch_size, "drop_last": made.drop_last,
            "epochs": [describe(side, list(made)) for _ in range(epochs)]}


@scenario("data.batch_sampler")
def batch_sampler(lib, indices: list, batch_size: int, drop_last: bool) -> dict:
    side = impl_side(lib, "BatchSampler")
    return {"batches": describe(side, list(side.data.BatchSampler(indices, batch_size, drop_last))),
            "len": len(side.data.BatchSampler(indices, batch_size, drop_last))}


def loader_attributes(side: Side, kwargs: dict) -> dict:
    made = side.data.DataLoader(range(5), **kwargs)
    return {"batch_size": made.batch_size, "drop_last": made.drop_last,
            "sampler": type(made.sampler).__name__, "dataset": made.dataset == range(5)}


@scenario("data.loader_attributes")
def loader_attributes_scenario(lib, kwargs: dict) -> dict:
    return loader_attributes(impl_side(lib, "DataLoader", "SequentialSampler", "RandomSampler"), kwargs)


def collated_graph(side: Side, leaf, weights: np.ndarray) -> np.ndarray:
    """Collating tensors that require grad stacks them: the gradient reaching the dataset's tensor."""
    total = None
    for (batch,) in side.data.DataLoader(side.data.TensorDataset(leaf), batch_size=4):
        term = (batch * side.tensor(weights)).tanh().sum()
        total = term if total is None else total + term
    total.backward()
    return side.values(leaf.grad)


@scenario("data.collated_graph")
def collated_graph_scenario(lib, x: np.ndarray, weights: np.ndarray) -> dict:
    side = impl_side(lib, "DataLoader", "TensorDataset")
    return {"grad": collated_graph(side, lib.tensor(x, requires_grad=True), weights)}


# ----- default_collate / default_convert on nested structures ----------------------------------------
def collate_batches(side):
    t = side.tensor
    return {
        "ints": [1, 2, 3],
        "floats_are_float64": [0.5, 1.5],
        "bools": [True, False, True],
        "int_then_float_is_float32": [1, 2.5],
        "float_then_int": [2.5, 1],
        "bool_then_int": [True, 2],
        "numpy_float32_scalars": [np.float32(1.5), np.float32(-2)],
        "numpy_float64_scalars": [np.float64(1.5), np.float64(-2)],
        "numpy_int32_scalars": [np.int32(7), np.int32(-1)],
        "numpy_int64_scalars": [np.int64(7), np.int64(-1)],
        "numpy_uint8_scalars": [np.uint8(7), np.uint8(255)],
        "numpy_bool_scalars": [np.bool_(True), np.bool_(False)],
        "arrays_float32": [X10[0], X10[1]],
        "arrays_int8": [np.array([1, -2], np.int8), np.array([3, 4], np.int8)],
        "arrays_0d": [np.array(1.5), np.array(2.5)],
        "arrays_empty": [np.zeros((0, 2)), np.zeros((0, 2))],
        "arrays_mixed_dtypes_promote": [np.array([1, 2], np.int64), np.array([0.5, 1.5], np.float32)],
        "arrays_int32_float64": [np.array([1, 2], np.int32), np.array([0.5, 1.5])],
        "strings": ["a", "bc"],
        "bytes": [b"a", b"bc"],
        "tensors": [t(X10[0]), t(X10[1])],
        "tensors_int64_0d": [t(np.array(3)), t(np.array(4))],
        "tensors_bool": [t(np.array([True, False])), t(np.array([False, False]))],
        "tuples_become_lists": [(1, 0.5, "a"), (2, 1.5, "b")],
        "lists": [[1, [2.0, 3]], [4, [5.0, 6]]],
        "empty_lists": [[], []],
        "dict_nested": [{"a": {"b": (np.float32(1), [1, 2])}, "c": "x"},
                        {"a": {"b": (np.float32(2), [3, 4])}, "c": "y"}],
        "ordered_dict": [collections.OrderedDict(z=1, a=0.5), collections.OrderedDict(z=2, a=1.5)],
        "namedtuple": [Point(1, np.zeros(2)), Point(2, np.ones(2))],
        "range_elements_become_lists": [range(2), range(3, 5)],
    }


COLLATE_CASES = sorted(collate_batches(SimpleNamespace(tensor=np.asarray)))
CONVERT_SAMPLE = (np.array(["a", "b"]), 3, 2.5, "s", None)  # string arrays and Python numbers stay


@scenario("data.collate")
def collate(lib, function: str, case: str) -> dict:
    """data.<function> (default_collate or default_convert) of collate_batches(...)[case]."""
    side = impl_side(lib, function)
    return {"result": describe(side, getattr(side.data, function)(collate_batches(side)[case]))}


@scenario("data.convert_sample")
def convert_sample(lib) -> dict:
    side = impl_side(lib, "default_convert")
    return {"result": describe(side, side.data.default_convert(CONVERT_SAMPLE))}


# ----- shuffling: properties torch has, checked on both sides ----------------------------------------
def epoch(loader) -> list[int]:
    return [int(i) for batch in loader for i in batch.tolist()]


def shuffled_epochs(side: Side, n: int, batch_size: int) -> dict:
    side.seed(0)
    made = side.data.DataLoader(list(range(n)), batch_size=batch_size, shuffle=True)
    return {"epochs": [epoch(made) for _ in range(3)], "len": len(made)}


def reseeded_epochs(side: Side) -> dict:
    """Seeding after building the loader counts: the permutation is drawn when an epoch starts."""
    made = side.data.DataLoader(list(range(40)), batch_size=6, shuffle=True)
    side.seed(123)
    first = [epoch(made), epoch(made)]
    side.seed(123)
    again = [epoch(made), epoch(made)]
    side.seed(124)
    return {"first": first, "again": again, "other seed": epoch(made)}


def shuffled_drop_last(side: Side) -> dict:
    side.seed(1)
    made = side.data.DataLoader(list(range(23)), batch_size=5, shuffle=True, drop_last=True)
    return {"len": len(made), "indices": epoch(made)}


def shuffled_leaders(side: Side, epochs: int) -> dict:
    side.seed(0)
    made = side.data.DataLoader(list(range(5)), batch_size=5, shuffle=True)
    return {"leaders": [int(next(iter(made))[0]) for _ in range(epochs)]}


def random_samplers(side: Side) -> dict:
    """num_samples > len without replacement: whole permutations back to back, then part of one."""
    side.seed(3)
    subset = side.data.SubsetRandomSampler([10, 20, 30, 40, 50, 60])
    return {"repeated": [int(i) for i in side.data.RandomSampler(range(4), num_samples=10)],
            "repeated len": len(side.data.RandomSampler(range(4), num_samples=10)),
            "drawn": [int(i) for i in side.data.RandomSampler(range(3), replacement=True, num_samples=300)],
            "subset orders": [[int(i) for i in subset] for _ in range(3)], "subset len": len(subset)}


SHUFFLE_CHECKS = {"shuffled_epochs": shuffled_epochs, "reseeded_epochs": reseeded_epochs,
                  "shuffled_drop_last": shuffled_drop_last, "shuffled_leaders": shuffled_leaders,
                  "random_samplers": random_samplers}


def shuffle_needs(check: str) -> tuple[str, ...]:
    return ("RandomSampler", "SubsetRandomSampler") if check == "random_samplers" else ("DataLoader",)


@scenario("data.shuffle")
def shuffle(lib, check: str, **inputs) -> dict:
    """SHUFFLE_CHECKS[check] run with the implementation."""
    return SHUFFLE_CHECKS[check](impl_side(lib, *shuffle_needs(check)), **inputs)


@scenario("data.has")
def has(lib, names: list[str]) -> dict:
    """Whether the implementation has data.<name> for each name (NOT IMPLEMENTED if not)."""
    impl_side(lib, *names)
    return {"has": True}


@scenario("data.shuffle_with_generator")
def shuffle_with_generator(lib) -> dict:
    side = impl_side(lib, "DataLoader")

    def two_epochs(seed):
        made = side.data.DataLoader(list(range(30)), batch_size=4, shuffle=True,
                                    generator=np.random.default_rng(seed))
        return [epoch(made), epoch(made)]
    return {"seed 7": two_epochs(7), "seed 7 again": two_epochs(7), "seed 8": two_epochs(8)}


# ----- datasets: TensorDataset, Subset, ConcatDataset, random_split ---------------------------------
def tensor_dataset_items(side: Side) -> dict:
    dataset = tensor_pair(side)
    return {"len": len(dataset), "items": {str(i): describe(side, dataset[i]) for i in [0, 9, -1, -10, 4]},
            "slice 2:5": describe(side, dataset[2:5])}


@scenario("data.tensor_dataset_items")
def tensor_dataset_items_scenario(lib) -> dict:
    return tensor_dataset_items(impl_side(lib, "TensorDataset"))


def subset_and_concat(side: Side) -> dict:
    subset = side.data.Subset(tensor_pair(side), [7, 2, 2, 0])
    built = [subset, side.data.ConcatDataset([subset, images(side)]), images(side) + subset]
    return {"datasets": [{"type": type(d).__name__, "len": len(d),
                          "items": [describe(side, d[i]) for i in range(-len(d), len(d))]} for d in built],
            "subset indices": describe(side, subset.indices)}


@scenario("data.subset_and_concat")
def subset_and_concat_scenario(lib) -> dict:
    return subset_and_concat(impl_side(lib, "TensorDataset", "Subset", "ConcatDataset"))


@scenario("data.split_outcome")
def split_outcome(lib, n: int, lengths: list) -> dict:
    """(lengths or exception class name, number of UserWarnings) of the implementation's random_split."""
    data = impl_side(lib, "random_split").data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = [len(subset) for subset in data.random_split(range(n), lengths)]
        except NotImplementedError:  # not implemented is reported as such, not observed
            raise
        except Exception as exc:  # noqa: BLE001 — the exception class is the outcome compared
            result = type(exc).__name__
    return {"outcome": [result, sum(issubclass(w.category, UserWarning) for w in caught)]}


@scenario("data.split_partition")
def split_partition(lib, lengths: list) -> dict:
    """random_split of tensor_pair: each subset's indices, and its items beside the dataset's."""
    side = impl_side(lib, "random_split", "TensorDataset")
    dataset = tensor_pair(side)
    subsets = side.data.random_split(dataset, lengths, generator=np.random.default_rng(0))
    return {"subsets": [{"len": len(s), "indices": [int(i) for i in s.indices],
                         "indices are ints": [isinstance(i, int) for i in s.indices],
                         "items": [describe(side, s[position]) for position in range(len(s.indices))],
                         "dataset items": [describe(side, dataset[i]) for i in s.indices]} for s in subsets]}


@scenario("data.split_reproducible")
def split_reproducible(lib) -> dict:
    data = impl_side(lib, "random_split").data

    def indices(seed=None):
        if seed is None:
            return [[int(i) for i in s.indices] for s in data.random_split(range(50), [0.5, 0.5])]
        return [[int(i) for i in s.indices]
                for s in data.random_split(range(50), [25, 25], generator=np.random.default_rng(seed))]
    seeded = {"seed 3": indices(3), "seed 3 again": indices(3), "seed 4": indices(4)}
    lib.manual_seed(9)
    first = indices()
    lib.manual_seed(9)
    return seeded | {"global seed 9": first, "global seed 9 again": indices()}


@scenario("data.split_negative_lengths")
def split_negative_lengths(lib) -> dict:
    data = impl_side(lib, "random_split").data
    return {"split": attempt(lambda: [len(s) for s in data.random_split(range(10), [-1, 11])])}


class Generator:
    """Stands in for a torch.Generator, which cannot exist where the implementation runs (no torch there):
    a generator object that is not a np.random.Generator, with torch.Generator's seeding methods."""

    def __init__(self) -> None:
        self.seed = 67280421310721

    def manual_seed(self, seed: int) -> "Generator":
        self.seed = seed
        return self

    def initial_seed(self) -> int:
        return self.seed


@scenario("data.foreign_generator")
def foreign_generator(lib) -> dict:
    data = impl_side(lib, "random_split", "DataLoader").data
    return {"random_split": attempt(lambda: data.random_split(range(4), [2, 2], generator=Generator())),
            "DataLoader": attempt(lambda: data.DataLoader(range(4), shuffle=True, generator=Generator()))}


# ----- errors: the same exception class as torch ------------------------------------------------------
def _unequal_tensors(side):
    return side.data.default_collate([side.tensor(np.zeros(2)), side.tensor(np.zeros(3))])


ERRORS = {
    "batch_size=0": lambda side: side.data.DataLoader(range(5), batch_size=0),
    "batch_size=-2": lambda side: side.data.DataLoader(range(5), batch_size=-2),
    "batch_size=1.5": lambda side: side.data.DataLoader(range(5), batch_size=1.5),
    "batch_size=True": lambda side: side.data.DataLoader(range(5), batch_size=True),
    "drop_last=1": lambda side: side.data.DataLoader(range(5), drop_last=1),
    "batch_size=None with drop_last": lambda side: side.data.DataLoader(range(5), batch_size=None, drop_last=True),
    "shuffle with sampler": lambda side: side.data.DataLoader(range(5), shuffle=True, sampler=[0, 1]),
    "batch_sampler with batch_size": lambda side: side.data.DataLoader(range(5), batch_size=2, batch_sampler=[[0]]),
    "batch_sampler with shuffle": lambda side: side.data.DataLoader(range(5), shuffle=True, batch_sampler=[[0]]),
    "batch_sampler with drop_last": lambda side: side.data.DataLoader(range(5), drop_last=True, batch_sampler=[[0]]),
    "num_workers=-1": lambda side: side.data.DataLoader(range(5), num_workers=-1),
    "timeout=-1": lambda side: side.data.DataLoader(range(5), timeout=-1),
    "shuffle an empty dataset": lambda side: side.data.DataLoader(range(0), shuffle=True),
    "TensorDataset size mismatch": lambda side: side.data.TensorDataset(side.tensor(np.zeros(3)), side.tensor(np.zeros(4))),
    "TensorDataset of a 0-d tensor": lambda side: side.data.TensorDataset(side.tensor(np.array(1.0))),
    "len of TensorDataset()": lambda side: len(side.data.TensorDataset()),
    "TensorDataset index past the end": lambda side: tensor_pair(side)[10],
    "Dataset()[0]": lambda side: side.data.Dataset()[0],
    "len(Dataset())": lambda side: len(side.data.Dataset()),
    "ConcatDataset([])": lambda side: side.data.ConcatDataset([]),
    "ConcatDataset index below -len": lambda side: side.data.ConcatDataset([range(3)])[-4],
    "collate an empty batch": lambda side: side.data.default_collate([]),
    "collate None": lambda side: side.data.default_collate([None, None]),
    "collate string arrays": lambda side: side.data.default_collate([np.array(["a"]), np.array(["b"])]),
    "collate object arrays": lambda side: side.data.default_collate([np.array([None]), np.array([None])]),
    "collate unequal lists": lambda side: side.data.default_collate([[1, 2], [1]]),
    "collate unequal arrays": lambda side: side.data.default_collate([np.zeros(2), np.zeros(3)]),
    "collate unequal tensors": _unequal_tensors,
    "collate a missing key": lambda side: side.data.default_collate([{"a": 1}, {"b": 2}]),
    "random_split sum != len": lambda side: side.data.random_split(range(10), [3, 3]),
    "random_split fraction > 1": lambda side: side.data.random_split(range(10), [1.5, -0.5]),
    "random_split fractions over 1": lambda side: side.data.random_split(range(10), [0.5, 0.6]),
    "random_split float counts": lambda side: side.data.random_split(range(10), [5.0, 5.0]),
    "random_split no lengths": lambda side: side.data.random_split(range(10), []),
    "RandomSampler replacement=1": lambda side: side.data.RandomSampler(range(3), replacement=1),
    "RandomSampler num_samples=0": lambda side: side.data.RandomSampler(range(3), num_samples=0),
    "BatchSampler batch_size=0": lambda side: side.data.BatchSampler(range(3), 0, False),
    "BatchSampler drop_last=None": lambda side: side.data.BatchSampler(range(3), 2, None),
}
ERROR_NEEDS = ("DataLoader", "TensorDataset", "Dataset", "ConcatDataset", "default_collate", "random_split",
               "RandomSampler", "BatchSampler")


@scenario("data.error")
def error(lib, case: str) -> dict:
    """What ERRORS[case] raises with the implementation (None if nothing)."""
    side = impl_side(lib, *ERROR_NEEDS)
    return {"error": error_of(lambda: ERRORS[case](side))}
