"""Scenarios of the optim area (torch-free): the optimizer API around the values — errors, zero_grad,
param_groups and state_dict structure, step(closure), schedulers' bookkeeping, clipping conventions.

Each scenario is written against the contract API only, so difftests/test_optim_api.py also runs it
with torch itself as `lib` (torch has the same API) and the two observations must be equal. Every
observation goes through `plain`, which keeps what `==` on the raw values would have seen (tuples vs
lists, non-string dict keys) in a form that survives the wire (JSON turns tuples into lists and keys
into strings).
"""
from __future__ import annotations

import copy
import math
import warnings
from typing import Any, Callable

import numpy as np

from difftests.scenarios import error_class_name, missing_name, scenario

# Options torch keeps in every group that the contract does not include (CUDA/compile machinery).
TORCH_ONLY_OPTIONS = {"foreach", "fused", "differentiable", "capturable"}


def plain(value: Any) -> Any:
    """A wire-safe copy of value with the same equality: tuples tagged, non-string keys typed."""
    if isinstance(value, tuple):
        return {"__tuple__": [plain(v) for v in value]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: plain(v) for k, v in value.items()}
        return {f"{type(k).__name__}:{k!r}": plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()  # == compares a NumPy scalar as a Python number
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def error_class(fn: Callable) -> str:
    """The builtin exception class fn() raises (as the difftests compare errors), or 'no error'."""
    try:
        fn()
    except NotImplementedError:  # not implemented is reported as such, not observed
        raise
    except Exception as exc:  # noqa: BLE001
        if missing_name(exc):
            raise NotImplementedError(f"missing {exc.name}") from None
        return error_class_name(exc)
    return "no error"


def params(lib, *shapes):
    return [lib.nn.Parameter(lib.zeros(*shape) if shape else lib.zeros(())) for shape in shapes]


def options(group: dict) -> dict:
    return {k: v for k, v in group.items() if k not in TORCH_ONLY_OPTIONS and k != "params"}


def dtype_name(t) -> str:
    return str(t.dtype).split(".")[-1]


# ----- bad input --------------------------------------------------------------------------------
def _two_groups_same_param(lib):
    p = params(lib, (2,))[0]
    lib.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def _add_existing_param(lib):
    p = params(lib, (2,))[0]
    lib.optim.SGD([p], lr=0.1).add_param_group({"params": [p]})


def _load_wrong_group_count(lib):
    a, b = params(lib, (2,), (3,))
    saved = lib.optim.SGD([{"params": [a]}, {"params": [b]}]).state_dict()
    lib.optim.SGD([a, b]).load_state_dict(saved)


def _load_wrong_group_size(lib):
    a, b = params(lib, (2,), (3,))
    saved = lib.optim.SGD([a]).state_dict()
    lib.optim.SGD([a, b]).load_state_dict(saved)


def _scheduler(lib, name, **kwargs):
    return getattr(lib.optim.lr_scheduler, name)(lib.optim.SGD(params(lib, (2,)), lr=0.1), **kwargs)


def _sequential_other_optimizer(lib):
    opt = lib.optim.SGD(params(lib, (2,)), lr=0.1)
    other = lib.optim.SGD(params(lib, (2,)), lr=0.1)
    lr_scheduler = lib.optim.lr_scheduler
    lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt), lr_scheduler.StepLR(other, 5)], milestones=[3])


def _clip_nonfinite(lib):
    p = params(lib, (2,))[0]
    p.grad = lib.tensor([1.0, float("nan")])
    lib.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def _optimizer(name, **kwargs):
    return lambda lib: getattr(lib.optim, name)(params(lib, (2,)), **kwargs)


BAD_INPUT = {
    "empty parameter list": lambda lib: lib.optim.SGD([], lr=0.1),
    "a single Tensor as params": lambda lib: lib.optim.SGD(params(lib, (2,))[0], lr=0.1),
    "a set of parameters (torch lists it: fine)": lambda lib: lib.optim.SGD(set(params(lib, (2,))), lr=0.1),
    "a group with a set of parameters": lambda lib: lib.optim.SGD([{"params": set(params(lib, (2,)))}], lr=0.1),
    "a non-Tensor parameter": lambda lib: lib.optim.SGD([1.0], lr=0.1),
    "a non-leaf Tensor": lambda lib: lib.optim.Adam([params(lib, (2,))[0] * 2.0]),
    "a parameter in two groups": _two_groups_same_param,
    "add_param_group with a parameter already there": _add_existing_param,
    "add_param_group with a list": lambda lib: lib.optim.SGD(params(lib, (2,))).add_param_group([]),
    "SGD negative lr": _optimizer("SGD", lr=-0.1),
    "SGD negative momentum": _optimizer("SGD", momentum=-0.9),
    "SGD negative weight_decay": _optimizer("SGD", weight_decay=-1e-4),
    "SGD nesterov without momentum": _optimizer("SGD", nesterov=True),
    "SGD nesterov with dampening": _optimizer("SGD", momentum=0.9, dampening=0.1, nesterov=True),
    "SGD lr=0 is valid": _optimizer("SGD", lr=0.0),
    "Adam negative lr": _optimizer("Adam", lr=-1e-3),
    "Adam negative eps": _optimizer("Adam", eps=-1e-8),
    "Adam beta1 = 1": _optimizer("Adam", betas=(1.0, 0.999)),
    "Adam beta2 < 0": _optimizer("Adam", betas=(0.9, -0.5)),
    "Adam integer betas": _optimizer("Adam", betas=(0, 0.999)),
    "Adam negative weight_decay": _optimizer("Adam", weight_decay=-0.1),
    "AdamW beta2 = 1": _optimizer("AdamW", betas=(0.9, 1.0)),
    "AdamW negative weight_decay": _optimizer("AdamW", weight_decay=-0.1),
    "RMSprop negative lr": _optimizer("RMSprop", lr=-0.01),
    "RMSprop negative alpha": _optimizer("RMSprop", alpha=-0.99),
    "RMSprop negative eps": _optimizer("RMSprop", eps=-1e-8),
    "RMSprop negative momentum": _optimizer("RMSprop", momentum=-0.9),
    "RMSprop negative weight_decay": _optimizer("RMSprop", weight_decay=-0.1),
    "load_state_dict: other number of groups": _load_wrong_group_count,
    "load_state_dict: other group size": _load_wrong_group_size,
    "scheduler of a non-optimizer": lambda lib: lib.optim.lr_scheduler.StepLR([1.0], step_size=3),
    "LinearLR start_factor > 1": lambda lib: _scheduler(lib, "LinearLR", start_factor=2.0),
    "LinearLR start_factor = 0": lambda lib: _scheduler(lib, "LinearLR", start_factor=0.0),
    "LinearLR end_factor < 0": lambda lib: _scheduler(lib, "LinearLR", end_factor=-0.5),
    "LambdaLR: two lambdas for one group": lambda lib: _scheduler(lib, "LambdaLR", lr_lambda=[abs, abs]),
    "StepLR resumed (last_epoch=3) without initial_lr": lambda lib: _scheduler(lib, "StepLR", step_size=2,
                                                                              last_epoch=3),
    "SequentialLR: a scheduler of another optimizer": _sequential_other_optimizer,
    "clip_grad_norm_ of a NaN gradient, error_if_nonfinite": _clip_nonfinite,
}


@scenario("optim.bad_input")
def bad_input(lib, label: str) -> dict:
    lib.optim  # noqa: B018 — no optim package: not implemented, not "no error"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"raises": error_class(lambda: BAD_INPUT[label](lib))}


@scenario("optim.duplicate_parameter_warning")
def duplicate_parameter_warning(lib) -> dict:
    p = params(lib, (2,))[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.optim.SGD([p, p], lr=0.1)
    return {"warned": any(issubclass(w.category, UserWarning) for w in caught)}


# ----- zero_grad ------------------------------------------------------------------------------
@scenario("optim.zero_grad")
def zero_grad(lib) -> dict:
    a, b = params(lib, (3,), (2,))
    opt = lib.optim.SGD([a, b], lr=0.1)
    a.grad = lib.tensor([1.0, -2.0, 3.0])
    opt.zero_grad()
    after_default = [a.grad is None, b.grad is None]
    grad = lib.tensor([1.0, -2.0, 3.0])
    a.grad = grad
    opt.zero_grad(set_to_none=False)
    return plain({"default sets None": after_default, "same grad object kept": a.grad is grad,
                  "zeroed values": a.grad.tolist(), "untouched None grad": b.grad is None})


# ----- param_groups and defaults ----------------------------------------------------------------
@scenario("optim.defaults")
def defaults(lib, optimizer: str) -> dict:
    opt = getattr(lib.optim, optimizer)(params(lib, (2,)))
    return plain({"group": options(opt.param_groups[0]), "defaults": options(opt.defaults)})


@scenario("optim.param_groups")
def param_groups(lib) -> dict:
    a, b, c, d = params(lib, (2,), (3,), (), (4,))
    opt = lib.optim.SGD([{"params": [a]}, {"params": (b, c), "lr": 0.5, "momentum": 0.9}], lr=0.1,
                        weight_decay=0.01)
    opt.add_param_group({"params": d, "nesterov": True, "momentum": 0.5})
    everything = [a, b, c, d]
    return plain({"groups": [options(g) for g in opt.param_groups],
                  "params": [[next(i for i, p in enumerate(everything) if p is q) for q in g["params"]]
                             for g in opt.param_groups],
                  "params are lists": [isinstance(g["params"], list) for g in opt.param_groups]})


@scenario("optim.named_parameters")
def named_parameters(lib) -> dict:
    a, b = params(lib, (2,), (3,))
    opt = lib.optim.Adam([("layer.weight", a), ("layer.bias", b)], lr=0.01)
    a.grad = lib.tensor([1.0, 2.0])
    opt.step()
    saved = opt.state_dict()
    return plain({"names": opt.param_groups[0].get("param_names"),
                  "saved names": saved["param_groups"][0].get("param_names"),
                  "saved params": saved["param_groups"][0]["params"]})


# ----- step -------------------------------------------------------------------------------------
@scenario("optim.step")
def step(lib) -> dict:
    p = params(lib, (2,))[0]
    opt = lib.optim.Adam([p], lr=0.1)
    calls = []

    def closure():
        calls.append(1)
        p.grad = lib.tensor([0.5, -0.5])
        return lib.tensor(3.0)

    loss = opt.step(closure)
    return plain({"loss": float(loss), "closure calls": len(calls), "leaf": p.is_leaf,
                  "requires_grad": p.requires_grad, "grad_fn is None": p.grad_fn is None,
                  "no grad, no change": _step_without_grad(lib)})


def _step_without_grad(lib) -> bool:
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    return p.tolist() == [1.0, 2.0] and len(opt.state_dict()["state"]) == 0


# ----- state_dict structure ---------------------------------------------------------------------
@scenario("optim.state_dict")
def state_dict(lib, optimizer: str, kwargs: dict) -> dict:
    a, b, c = params(lib, (2, 3), (), (4,))
    opt = getattr(lib.optim, optimizer)([{"params": [a, b]}, {"params": [c]}], **kwargs)
    a.grad, c.grad = lib.ones(2, 3), lib.ones(4)  # b never has a gradient: no state for it
    opt.step()
    d = params(lib, (5,))[0]
    opt.add_param_group({"params": [d]})
    d.grad = lib.ones(5)
    opt.step()
    saved = opt.state_dict()
    state = saved["state"]
    return plain({
        "state keys": sorted(state), "group params": [g["params"] for g in saved["param_groups"]],
        "entries": {i: {k: [list(v.shape), dtype_name(v)] for k, v in sorted(state[i].items())} for i in state},
        "steps": {i: float(state[i]["step"]) for i in state if "step" in state[i]},
        "group options": [options({k: v for k, v in g.items()}) for g in saved["param_groups"]]})


@scenario("optim.state_dict_snapshot")
def state_dict_snapshot(lib) -> dict:
    p = lib.nn.Parameter(lib.tensor([1.0, -1.0]))
    opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = lib.tensor([1.0, 1.0])
    opt.step()
    live, snapshot = opt.state_dict(), copy.deepcopy(opt.state_dict())
    opt.step()
    return plain({"live": live["state"][0]["momentum_buffer"].tolist(),
                  "snapshot": snapshot["state"][0]["momentum_buffer"].tolist()})


@scenario("optim.load_casts_state")
def load_casts_state(lib) -> dict:
    """A float64 optimizer's state loaded for float32 parameters: buffers cast, 'step' kept."""
    p64 = lib.nn.Parameter(lib.tensor([1.0, 2.0], dtype=lib.float64))
    opt = lib.optim.Adam([p64], lr=0.1)
    p64.grad = lib.tensor([0.5, 0.5], dtype=lib.float64)
    opt.step()
    p32 = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    loaded = lib.optim.Adam([p32])
    loaded.load_state_dict(opt.state_dict())
    state = loaded.state_dict()["state"][0]
    return plain({name: dtype_name(value) for name, value in sorted(state.items())}
                 | {"lr": loaded.param_groups[0]["lr"]})


# ----- schedulers -------------------------------------------------------------------------------
@scenario("optim.scheduler_bookkeeping")
def scheduler_bookkeeping(lib) -> dict:
    opt = lib.optim.SGD([{"params": params(lib, (2,)), "lr": 0.1}, {"params": params(lib, (2,)), "lr": 0.02}])
    sched = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    seen = [(sched.last_epoch, list(sched.get_last_lr()))]
    for _ in range(3):
        opt.step()
        sched.step()
        seen.append((sched.last_epoch, list(sched.get_last_lr())))
    saved = sched.state_dict()
    return plain({"seen": seen, "initial_lr": [g["initial_lr"] for g in opt.param_groups],
                  "lr": [g["lr"] for g in opt.param_groups],
                  "state has": sorted({"last_epoch", "base_lrs"} & set(saved)),
                  "saved last_epoch": saved["last_epoch"], "saved base_lrs": list(saved["base_lrs"])})


@scenario("optim.cosine_step_epoch")
def cosine_step_epoch(lib) -> dict:
    opt = lib.optim.SGD(params(lib, (2,)), lr=0.1)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated in torch
        for epoch in (3, 10, 17, 4):
            sched.step(epoch)
            lrs.append(opt.param_groups[0]["lr"])
    return plain({"lrs": lrs})


@scenario("optim.scheduler_before_optimizer_warning")
def scheduler_before_optimizer_warning(lib) -> dict:
    results = []
    for optimizer_first in (True, False):
        opt = lib.optim.SGD(params(lib, (2,)), lr=0.1)
        sched = lib.optim.lr_scheduler.StepLR(opt, step_size=1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if optimizer_first:
                opt.step()
            sched.step()
        results.append(any(issubclass(w.category, UserWarning) for w in caught))
    return {"warned": results}


# ----- clipping ---------------------------------------------------------------------------------
@scenario("optim.clip_grad_norm_result")
def clip_grad_norm_result(lib) -> dict:
    a, b = params(lib, (2,), (3,))
    a.grad, b.grad = lib.tensor([3.0, 4.0]), lib.tensor([0.0, 0.0, 12.0])
    total = lib.nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    no_grads = lib.nn.utils.clip_grad_norm_(params(lib, (2,)), max_norm=1.0)
    return plain({"total shape": list(total.shape), "total dtype": dtype_name(total),
                  "total": round(float(total), 5),
                  "no grads": [float(no_grads), dtype_name(no_grads), list(no_grads.shape)],
                  "clipped norm": round(math.sqrt(sum(x * x for g in (a.grad, b.grad) for x in g.tolist())), 5)})


@scenario("optim.clip_grad_value_without_gradients")
def clip_grad_value_without_gradients(lib) -> dict:
    p = params(lib, (2,))[0]
    returned = lib.nn.utils.clip_grad_value_([p], 1.0)
    return {"returned None": returned is None, "grad None": p.grad is None}
