"""The optimizer API of the implementation under test beside torch.optim: errors, zero_grad,
param_groups and state_dict structure, step(closure), schedulers' bookkeeping, clipping conventions.

Each check is a scenario in difftests/scenarios/optim.py written against the contract API only: it runs
where the implementation runs (`observe`) and once here with torch itself as `lib` (torch has the same
API), and the two observations must be equal. Values are compared by the pairs in
difftests/pairs/optim.py; this file checks behaviour around them.
"""
from __future__ import annotations

import pytest
import torch

from difftests import wire
from difftests.scenarios import SCENARIOS
from difftests.scenarios.optim import BAD_INPUT, error_class, params

pytestmark = pytest.mark.area_optim


def roundtrip(observations: dict) -> dict:
    """The observations as they look after the wire, so in-process and isolated runs compare alike."""
    return wire.decode(wire.encode(observations))


def both(observe, scenario_name: str, /, **inputs) -> tuple[dict, dict]:
    """(the implementation's observations, torch's) of one scenario."""
    return roundtrip(observe(scenario_name, **inputs)), roundtrip(SCENARIOS[scenario_name](torch, **inputs))


# ----- bad input --------------------------------------------------------------------------------
@pytest.mark.parametrize("label", list(BAD_INPUT))
def test_bad_input_raises_like_torch(observe, label):
    got, want = both(observe, "optim.bad_input", label=label)
    assert got == want, f"{label}: the implementation gives {got['raises']}, torch {want['raises']}"


def test_duplicate_parameter_in_a_group_warns_like_torch(observe):
    got, want = both(observe, "optim.duplicate_parameter_warning")
    assert got == want == {"warned": True}


# ----- zero_grad ------------------------------------------------------------------------------
def test_zero_grad_semantics_match_torch(observe):
    got, want = both(observe, "optim.zero_grad")
    assert got == want


# ----- param_groups and defaults ----------------------------------------------------------------
OPTIMIZERS = ["SGD", "Adam", "AdamW", "RMSprop"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_defaults_match_torch(observe, name):
    got, want = both(observe, "optim.defaults", optimizer=name)
    assert got == want


def test_param_groups_structure_matches_torch(observe):
    got, want = both(observe, "optim.param_groups")
    assert got == want


def test_named_parameters_match_torch(observe):
    got, want = both(observe, "optim.named_parameters")
    assert got == want


# ----- step -------------------------------------------------------------------------------------
def test_step_closure_and_leaf_parameters_match_torch(observe):
    got, want = both(observe, "optim.step")
    assert got == want


# ----- state_dict structure ---------------------------------------------------------------------
STATE_CASES = [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"amsgrad": True}),
               ("AdamW", {}), ("RMSprop", {"centered": True, "momentum": 0.9}), ("RMSprop", {})]


@pytest.mark.parametrize("name,kwargs", STATE_CASES, ids=[f"{n}{k}" for n, k in STATE_CASES])
def test_state_dict_structure_matches_torch(observe, name, kwargs):
    got, want = both(observe, "optim.state_dict", optimizer=name, kwargs=kwargs)
    assert got == want


def test_state_dict_is_live_and_deepcopy_snapshots_like_torch(observe):
    got, want = both(observe, "optim.state_dict_snapshot")
    assert got == want


def test_load_state_dict_casts_like_torch(observe):
    got, want = both(observe, "optim.load_casts_state")
    assert got == want


# ----- schedulers -------------------------------------------------------------------------------
def test_scheduler_bookkeeping_matches_torch(observe):
    got, want = both(observe, "optim.scheduler_bookkeeping")
    assert got == want


def test_cosine_closed_form_via_step_epoch_matches_torch(observe):
    got, want = both(observe, "optim.cosine_step_epoch")
    assert got["lrs"] == pytest.approx(want["lrs"], rel=1e-12)


def test_scheduler_step_before_optimizer_step_warns_like_torch(observe):
    got, want = both(observe, "optim.scheduler_before_optimizer_warning")
    assert got == want == {"warned": [False, True]}


# ----- clipping ---------------------------------------------------------------------------------
def test_clip_grad_norm_result_matches_torch(observe):
    got, want = both(observe, "optim.clip_grad_norm_result")
    assert got == want


def test_clip_grad_value_without_gradients_is_a_no_op(observe):
    """A documented convention: tiny's clip_grad_value_ does nothing when no parameter has a
    gradient; torch 2.x fails there with an internal RuntimeError from its foreach grouping
    ("Expected nested_tensorlist[0].size() > 0"), which is a torch bug, not an API promise."""
    assert observe("optim.clip_grad_value_without_gradients") == {"returned None": True, "grad None": True}
    assert error_class(lambda: torch.nn.utils.clip_grad_value_(params(torch, (2,)), 1.0)) == "RuntimeError", \
        "torch no longer raises here: drop this convention and compare with torch directly"
