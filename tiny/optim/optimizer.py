"""`Optimizer`: parameter groups, per-parameter state, zero_grad, step, state_dict (torch.optim's shape).

An optimizer holds `param_groups`, a list of dicts, each with 'params' (a list of Parameters) and
every option (lr, momentum, ...) filled in from the constructor's defaults, so groups can differ. It
keeps `state[param]`, a dict of Tensors (momentum buffers, moment estimates, the step count), created
lazily the first time a parameter has a gradient.

`step()` updates `param.data` in place with NumPy arithmetic: no autograd graph is built, and any
view of the parameter sees the new values. Subclasses implement `_update(param, grad, group)`
for one parameter; the base class walks the groups and skips parameters whose `.grad` is None.

`state_dict()` has torch's structure: {'state': {index: {name: Tensor}}, 'param_groups': [{options...,
'params': [index, ...]}]}, indices counting parameters in group order, so a checkpoint can be loaded
into a new optimizer over new (equally shaped) parameters.
"""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from tiny.autograd import enable_grad
from tiny.tensor import Tensor

STEP_DTYPE = np.float32  # torch keeps state['step'] as a float32 0-d tensor (the default dtype)


class Optimizer:
    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or "
                            f"dicts, but got a single {type(params).__name__}; wrap it in a list")
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._step_called = False  # read by lr schedulers to warn about a wrong call order
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {value}" for key, value in sorted(group.items()) if key != "params"]
        return "\n".join(lines + [")"])

    # ----- parameter groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own options; missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params, names = _extract_params(param_group["params"])
        param_group["params"] = params
        if names:
            param_group["param_names"] = names
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", UserWarning, stacklevel=3)
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        if self.param_groups and ("param_names" in param_group) != ("param_names" in self.param_groups[0]):
            raise ValueError("all optimizer param groups should be with/without names: cannot mix "
                             "(name, parameter) pairs with bare parameters")
        self.param_groups.append(param_group)

    # ----- gradients and steps --------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set them to None (default), or fill the existing ones with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.grad_fn = None
                    p.grad.requires_grad = False
                    p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure() if one is given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._step_called = True
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, _grad_array(p), group)
        return loss

    def _update(self, param: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """Update `param.data` in place from `grad` (an array shaped like it) and this group's options.

        Subclasses create `self.state[param]` entries only when they keep state (as torch does: SGD
        without momentum keeps none).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ----- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {param index: {name: Tensor}}, 'param_groups': [{options, 'params': [indices]}]}.

        As in torch, the Tensors are the optimizer's own (not copies): deep-copy the dict to snapshot it.
        """
        index_of: dict[int, int] = {}
        packed_groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for p in group["params"]:
                index_of.setdefault(id(p), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            packed_groups.append(packed)
        packed_state = {index_of[id(p)] if isinstance(p, Tensor) else p: values
                        for p, values in self.state.items()}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by state_dict(), matching parameters by position.

        As in torch: the saved param_groups are deep-copied, floating-point state Tensors are cast to
        their parameter's dtype (except 'step'), and a Tensor that needs no cast is used as it is —
        so loading the live state_dict() of another optimizer shares its buffers (deep-copy the dict
        first to avoid that).
        """
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(self.param_groups)})")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                                 f"size of optimizer's group ({len(saved['params'])} saved parameters, "
                                 f"{len(group['params'])} in the optimizer)")
        param_of = {index: p for group, saved in zip(self.param_groups, saved_groups)
                    for index, p in zip(saved["params"], group["params"])}
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if key in param_of:
                state[param_of[key]] = {name: _state_value_for(param_of[key], name, value)
                                        for name, value in values.items()}
            else:
                state[key] = values  # state of no known parameter: kept as it is
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved_groups


def _extract_params(params: Any) -> tuple[list[Tensor], list[str]]:
    """The Parameters of a group (and their names when given as (name, parameter) pairs)."""
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                        "ordering of tensors in sets will change between runs. Please use a list instead.")
    tensors, names = [], []
    for item in params:
        if isinstance(item, tuple):
            names.append(item[0])
            item = item[1]
        tensors.append(item)
    if names and len(names) != len(tensors):
        raise ValueError("all optimizer params should be with/without names. Some param names are missing")
    for p in tensors:
        if not isinstance(p, Tensor):
            raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                            f"{type(p).__name__}")
        if not p.is_leaf:
            raise ValueError("can't optimize a non-leaf Tensor (it was computed by an operation; "
                             "optimize the leaf it came from, or detach() it)")
    return tensors, names


def _grad_array(param: Tensor) -> np.ndarray:
    """The gradient as an array of the parameter's shape (a clear error otherwise)."""
    grad = param.grad.data if isinstance(param.grad, Tensor) else np.asarray(param.grad)
    if grad.shape != param.data.shape:
        raise RuntimeError(f"optimizer step: a gradient of shape {grad.shape} does not match its "
                           f"parameter's shape {param.data.shape}")
    return grad


def _state_value_for(param: Tensor, name: str, value: Any) -> Any:
    """One saved state entry for `param`: float Tensors take the parameter's dtype (not 'step')."""
    if isinstance(value, Tensor):
        wanted = param.data.dtype
        if name != "step" and value.data.dtype.kind == "f" and wanted.kind == "f" and value.data.dtype != wanted:
            return Tensor(value.data.astype(wanted))
        return value
    if name == "step" and isinstance(value, (int, float)):
        return Tensor(np.array(value, STEP_DTYPE))  # old checkpoints stored the step as a number
    if isinstance(value, dict):
        return {key: _state_value_for(param, key, inner) for key, inner in value.items()}
    return copy.deepcopy(value)


def new_step_count() -> Tensor:
    """state['step'] as torch stores it: a float32 0-d Tensor."""
    return Tensor(np.zeros((), STEP_DTYPE))


def zeros_like_param(param: Tensor) -> Tensor:
    """A state buffer shaped and typed like `param`."""
    return Tensor(np.zeros_like(param.data))
