"""The data package of the implementation under test (`<impl>.data`), compared with torch.utils.data.

Without shuffling, batches must equal torch's exactly: structure, container types, dtypes, shapes and
values. Shuffling draws from different RNGs on the two sides, so it is tested by properties that hold
for torch too (every epoch a permutation, a new one each epoch, reproducible from a seed), checked on
both sides. random_split's lengths and errors must equal torch's for many inputs.

The implementation side of each test is a scenario in difftests/scenarios/data.py; the datasets and
inputs there are built from a `Side`, and built here with torch through the same functions.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as torch_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from difftests.scenarios.data import (COLLATE_CASES, COLLATE_FNS, CONVERT_SAMPLE, DATASETS, ERRORS, SHUFFLE_CHECKS,
                                      X10, Side, collate_batches, collated_graph, describe, error_of,
                                      loader_attributes, loader_kwargs, shuffle_needs, subset_and_concat,
                                      tensor_dataset_items, tensor_pair)
from reference.data import collate as ref_collate
from reference.data import dataloader as ref_loader
from reference.data import dataset as ref_dataset
from reference.data import sampler as ref_sampler

pytestmark = pytest.mark.area_data
# `observe` is function-scoped but holds no state between calls: sharing it across examples is safe.
SUPPRESSED_HEALTH_CHECKS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                      HealthCheck.filter_too_much]

TORCH = Side(tensor=torch.tensor, data=torch_data, Tensor=torch.Tensor,
             values=lambda t: t.detach().numpy().copy(), seed=torch.manual_seed)


def theirs(x) -> dict:
    """torch's result, described as the scenarios describe the implementation's."""
    return describe(TORCH, x)


def label(d: dict) -> str:
    return d.get("type", d.get("kind", "?"))


def shown(d: dict):
    """A scalar's value or an object's repr, for messages."""
    return d.get("value", d.get("repr"))


def assert_same(mine: dict, want: dict, path: str = "batch") -> None:
    """Same structure and container types; Tensors with the same dtype name, shape and exact values."""
    kind = want["kind"]
    assert mine.get("kind") == kind, f"{path}: expected a {label(want)}, got {label(mine)}"
    if kind in ("Tensor", "ndarray"):
        assert mine["dtype"] == want["dtype"], f"{path}: dtype {mine['dtype']}, torch has {want['dtype']}"
        assert mine["shape"] == want["shape"], f"{path}: shape {mine['shape']} != {want['shape']}"
        np.testing.assert_array_equal(mine["values"], want["values"], err_msg=path)
        return
    assert mine["type"] == want["type"], f"{path}: type {mine['type']}, torch has {want['type']}"
    if kind == "mapping":
        keys = [shown(k) for k in want["keys"]]
        assert mine["keys"] == want["keys"], f"{path}: keys {[shown(k) for k in mine['keys']]} != {keys}"
        for key, a, b in zip(keys, mine["values"], want["values"]):
            assert_same(a, b, f"{path}[{key!r}]")
    elif kind == "sequence":
        assert len(mine["items"]) == len(want["items"]), \
            f"{path}: length {len(mine['items'])} != {len(want['items'])}"
        for i, (a, b) in enumerate(zip(mine["items"], want["items"])):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert mine == want, f"{path}: {shown(mine)!r} != {shown(want)!r}"


# ----- DataLoader without shuffling: identical to torch ---------------------------------------------
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4, 16])
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_batches_match_torch(observe, dataset, batch_size, drop_last):
    kwargs = dict(batch_size=batch_size, drop_last=drop_last)
    got = observe("data.loader", dataset=dataset, kwargs=kwargs, epochs=2)
    assert got["len"] == ref_loader.num_batches(DATASETS[dataset](TORCH), **kwargs)
    want = theirs(ref_loader.batches(DATASETS[dataset](TORCH), **kwargs))
    assert_same(got["epochs"][0], want)
    assert_same(got["epochs"][1], want, "second epoch")


@pytest.mark.parametrize("dataset", list(DATASETS))
def test_batch_size_none_converts_samples_like_torch(observe, dataset):
    got = observe("data.loader", dataset=dataset, kwargs=dict(batch_size=None))
    assert got["len"] == ref_loader.num_batches(DATASETS[dataset](TORCH), batch_size=None)
    assert_same(got["epochs"][0], theirs(ref_loader.batches(DATASETS[dataset](TORCH), batch_size=None)))


@pytest.mark.parametrize("name", sorted(COLLATE_FNS))
@pytest.mark.parametrize("batch_size", [1, 4, None])
def test_custom_collate_fn_receives_what_torch_passes(observe, name, batch_size):
    if batch_size is None and name != "count":
        name = "identity"  # without batching, collate_fn gets one sample (a tuple)
    kwargs = dict(batch_size=batch_size, collate_fn=name)
    got = observe("data.loader", dataset="tensor_pair", kwargs=kwargs)
    assert_same(got["epochs"][0], theirs(ref_loader.batches(tensor_pair(TORCH), **loader_kwargs(kwargs))))


@pytest.mark.parametrize("sampler", [[9, 0, 5, 5, 2], list(range(9, -1, -1)), []], ids=["repeats", "reversed", "empty"])
@pytest.mark.parametrize("batch_size", [2, None])
def test_explicit_sampler_matches_torch(observe, sampler, batch_size):
    kwargs = dict(batch_size=batch_size, sampler=sampler)
    got = observe("data.loader", dataset="tensor_pair", kwargs=kwargs)
    assert got["len"] == ref_loader.num_batches(tensor_pair(TORCH), **kwargs)
    assert_same(got["epochs"][0], theirs(ref_loader.batches(tensor_pair(TORCH), **kwargs)))


def test_batch_sampler_matches_torch(observe):
    batch_sampler = [[0, 1], [9], [2, 3, 4, 2]]
    got = observe("data.loader", dataset="tensor_pair", kwargs=dict(batch_sampler=batch_sampler))
    assert got["len"] == 3 and got["batch_size"] is None and got["drop_last"] is False
    assert_same(got["epochs"][0], theirs(ref_loader.batches(tensor_pair(TORCH), batch_sampler=batch_sampler)))


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 7])
def test_batch_sampler_groups_like_torch(observe, batch_size, drop_last):
    indices = [4, 2, 0, 1, 3]
    got = observe("data.batch_sampler", indices=indices, batch_size=batch_size, drop_last=drop_last)
    assert_same(got["batches"], theirs(ref_sampler.batch_indices(indices, batch_size, drop_last)), "batches")
    assert got["len"] == len(ref_sampler.BatchSampler(indices, batch_size, drop_last))


def test_loader_attributes_match_torch(observe):
    for kwargs in [dict(), dict(batch_size=None), dict(batch_size=3, drop_last=True), dict(shuffle=True)]:
        got = observe("data.loader_attributes", kwargs=kwargs)
        assert got == loader_attributes(TORCH, kwargs), kwargs


def test_collated_tensors_keep_the_graph(observe):
    """Collating tensors that require grad stacks them: gradients reach the dataset's tensor."""
    x, weights = X10.astype(np.float64), np.random.default_rng(1).standard_normal(3)
    got = observe("data.collated_graph", x=x, weights=weights)
    want = collated_graph(TORCH, torch.tensor(x, requires_grad=True), weights)
    np.testing.assert_allclose(got["grad"], want, rtol=1e-12, atol=1e-12)


# ----- default_collate / default_convert on nested structures ----------------------------------------
@pytest.mark.parametrize("case", COLLATE_CASES)
def test_default_collate_matches_torch(observe, case):
    got = observe("data.collate", function="default_collate", case=case)
    assert_same(got["result"], theirs(ref_collate.default_collate(collate_batches(TORCH)[case])))


@pytest.mark.parametrize("case", COLLATE_CASES)
def test_default_convert_matches_torch(observe, case):
    got = observe("data.collate", function="default_convert", case=case)
    assert_same(got["result"], theirs(ref_collate.default_convert(collate_batches(TORCH)[case])))


def test_default_convert_leaves_string_arrays_and_python_numbers(observe):
    got = observe("data.convert_sample")
    assert_same(got["result"], theirs(ref_collate.default_convert(CONVERT_SAMPLE)))


# ----- shuffling: properties torch has, checked on both sides ----------------------------------------
def shuffle_check(observe, side_name: str, check: str, **inputs) -> dict:
    """SHUFFLE_CHECKS[check]'s observations from the implementation or from torch (run, like the
    implementation's side, only when the implementation has what the check uses)."""
    if side_name == "impl":
        return observe("data.shuffle", check=check, **inputs)
    observe("data.has", names=list(shuffle_needs(check)))
    return SHUFFLE_CHECKS[check](TORCH, **inputs)


@pytest.mark.parametrize("side_name", ["impl", "torch"])
@pytest.mark.parametrize("n,batch_size", [(50, 7), (1, 1), (64, 64), (10, 3)])
def test_each_epoch_is_a_permutation_and_epochs_differ(observe, side_name, n, batch_size):
    got = shuffle_check(observe, side_name, "shuffled_epochs", n=n, batch_size=batch_size)
    epochs = got["epochs"]
    for indices in epochs:
        assert sorted(indices) == list(range(n))
    assert got["len"] == -(-n // batch_size)
    if n >= 10:
        assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != list(range(n))


@pytest.mark.parametrize("side_name", ["impl", "torch"])
def test_shuffle_is_reproducible_from_the_global_seed(observe, side_name):
    """Seeding after building the loader counts: the permutation is drawn when an epoch starts."""
    got = shuffle_check(observe, side_name, "reseeded_epochs")
    assert got["again"] == got["first"]
    assert got["other seed"] != got["first"][0]


@pytest.mark.parametrize("side_name", ["impl", "torch"])
def test_shuffle_with_drop_last_visits_each_index_at_most_once(observe, side_name):
    got = shuffle_check(observe, side_name, "shuffled_drop_last")
    indices = got["indices"]
    assert got["len"] == 4 and len(indices) == 20 and len(set(indices)) == 20
    assert set(indices) <= set(range(23))


def test_shuffle_with_a_generator_is_reproducible(observe):
    got = observe("data.shuffle_with_generator")
    assert got["seed 7"] == got["seed 7 again"]
    assert got["seed 7"] != got["seed 8"]
    first, second = got["seed 7"]
    assert sorted(first) == sorted(second) == list(range(30)) and first != second


@pytest.mark.parametrize("side_name", ["impl", "torch"])
def test_shuffle_puts_every_index_first_equally_often(observe, side_name):
    """Over 2000 epochs of 5 samples each index leads 20% of the time (binomial sd 0.9%; bound 4.5%)."""
    got = shuffle_check(observe, side_name, "shuffled_leaders", epochs=2000)
    assert len(got["leaders"]) == 2000 and set(got["leaders"]) <= set(range(5))
    leaders = np.bincount(got["leaders"], minlength=5)
    assert np.all(np.abs(leaders / 2000 - 0.2) < 0.045), leaders


@pytest.mark.parametrize("side_name", ["impl", "torch"])
def test_random_samplers_draw_like_torch(observe, side_name):
    """num_samples > len without replacement: whole permutations back to back, then part of one."""
    got = shuffle_check(observe, side_name, "random_samplers")
    repeated, drawn, orders = got["repeated"], got["drawn"], got["subset orders"]
    assert got["repeated len"] == 10 and len(repeated) == 10
    assert sorted(repeated[:4]) == sorted(repeated[4:8]) == [0, 1, 2, 3] and len(set(repeated[8:])) == 2
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2}
    assert got["subset len"] == 6 and all(sorted(order) == [10, 20, 30, 40, 50, 60] for order in orders)
    assert orders[0] != orders[1] or orders[1] != orders[2]


# ----- datasets: TensorDataset, Subset, ConcatDataset, random_split ---------------------------------
def test_tensor_dataset_items_and_len_match_torch(observe):
    got, want = observe("data.tensor_dataset_items"), tensor_dataset_items(TORCH)
    assert got["len"] == want["len"] == 10
    for index in want["items"]:
        assert_same(got["items"][index], want["items"][index], f"dataset[{index}]")
    assert_same(got["slice 2:5"], want["slice 2:5"], "dataset[2:5]")


def test_subset_and_concat_match_torch(observe):
    got, want = observe("data.subset_and_concat"), subset_and_concat(TORCH)
    for mine, their in zip(got["datasets"], want["datasets"], strict=True):
        assert mine["len"] == their["len"]
        for index, (a, b) in enumerate(zip(mine["items"], their["items"], strict=True), start=-their["len"]):
            assert_same(a, b, f"{their['type']}[{index}]")
    assert_same(got["subset indices"], theirs([7, 2, 2, 0]), "subset.indices")


FRACTION_CASES = [[0.3, 0.3, 0.4], [0.5, 0.5], [0.1] * 10, [0.2] * 5, [1 / 3] * 3, [0.7, 0.2, 0.1],
                  [0.05, 0.95], [1.0], [0.0, 1.0], [0.5, 0.5, 0.0], [0.25] * 4, [1 / 7] * 7]


def torch_split_outcome(n, lengths) -> list:
    """[lengths or exception class name, number of UserWarnings] of torch's random_split."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ref_dataset.split_lengths(n, lengths)
        except Exception as exc:  # noqa: BLE001
            result = type(exc).__name__
    return [result, sum(issubclass(w.category, UserWarning) for w in caught)]


@pytest.mark.parametrize("fractions", FRACTION_CASES, ids=str)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 10, 11, 99, 1000, 1001])
def test_random_split_fraction_lengths_match_torch(observe, fractions, n):
    assert observe("data.split_outcome", n=n, lengths=fractions)["outcome"] == torch_split_outcome(n, fractions)


@st.composite
def split_requests(draw):
    """A dataset length and lengths: fractions from random weights (their float sum may miss 1 either
    way, which decides torch's branch), or integer counts, sometimes off by one."""
    n = draw(st.integers(0, 300))
    k = draw(st.integers(1, 6))
    if draw(st.booleans()):
        weights = draw(st.lists(st.integers(0, 1000), min_size=k, max_size=k).filter(any))
        return n, [w / sum(weights) for w in weights]
    cuts = sorted(draw(st.lists(st.integers(0, n), min_size=k - 1, max_size=k - 1)))
    counts = [b - a for a, b in zip([0] + cuts, cuts + [n])]
    counts[-1] += draw(st.sampled_from([0, 0, 0, 1, -1]))
    return n, counts


@settings(max_examples=300, suppress_health_check=SUPPRESSED_HEALTH_CHECKS)
@given(request=split_requests())
def test_random_split_lengths_match_torch_property(observe, request):
    n, lengths = request
    if any(isinstance(x, int) and x < 0 for x in lengths):
        return  # negative counts: a documented difference (test_random_split_refuses_negative_lengths)
    got = observe("data.split_outcome", n=n, lengths=lengths)["outcome"]
    assert got == torch_split_outcome(n, lengths), (n, lengths)


@pytest.mark.parametrize("lengths", [[3, 3, 4], [0.5, 0.25, 0.25], [10], [0, 10], [0.1] * 10])
def test_random_split_subsets_partition_the_dataset(observe, lengths):
    subsets = observe("data.split_partition", lengths=lengths)["subsets"]
    assert [s["len"] for s in subsets] == [len(s) for s in ref_dataset.split(range(10), lengths)]
    assert sorted(i for s in subsets for i in s["indices"]) == list(range(10))
    for s in subsets:
        assert all(s["indices are ints"]), s["indices"]
        assert len(s["items"]) == len(s["dataset items"]) == len(s["indices"])
        for position, (got, expected) in enumerate(zip(s["items"], s["dataset items"])):
            assert_same(got, expected, f"subset[{position}] vs dataset[{s['indices'][position]}]")


def test_random_split_is_reproducible_and_random(observe):
    got = observe("data.split_reproducible")
    assert got["seed 3"] == got["seed 3 again"] and got["seed 3"] != got["seed 4"]
    assert got["global seed 9"] == got["global seed 9 again"] and got["global seed 9"][0] != list(range(25))


def raised(observation) -> tuple[str, str] | None:
    """(builtin exception class, message) of an attempt() that raised, else None."""
    if isinstance(observation, dict) and "__raised__" in observation:
        return tuple(observation["__raised__"])
    return None


def test_random_split_refuses_negative_lengths(observe):
    """tiny convention: torch accepts [-1, 11] and returns overlapping subsets; tiny raises ValueError."""
    assert [len(s) for s in torch_data.random_split(range(10), [-1, 11])] == [9, 1]  # torch's behaviour
    got = raised(observe("data.split_negative_lengths")["split"])
    assert got is not None and got[0] == "ValueError" and "non-negative" in got[1], got


def test_generators_must_be_numpy_generators(observe):
    """tiny convention: tiny's RNG is NumPy's, so a torch.Generator is refused with a TypeError. torch
    cannot exist where the implementation runs, so the scenario passes a stand-in with torch.Generator's
    seeding methods that is not a np.random.Generator."""
    got = observe("data.foreign_generator")
    for call in ("random_split", "DataLoader"):
        error = raised(got[call])
        assert error is not None and error[0] == "TypeError" and "Generator" in error[1], (call, got[call])


# ----- errors: the same exception class as torch ------------------------------------------------------
@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_match_torch(observe, case):
    want = error_of(lambda: ERRORS[case](TORCH))
    assert want is not None, f"{case}: torch raises nothing here"
    mine = observe("data.error", case=case)["error"]
    assert mine is not None, f"{case}: the implementation raises nothing, torch raises {want['type']}"
    assert mine["type"] == want["type"], \
        f"{case}: raised {mine['type']} ({mine['message']}), torch raises {want['type']}"
    assert mine["message"], f"{case}: the error has no message"
