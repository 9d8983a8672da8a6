"""`Function`: one differentiable operation, its forward and backward side by side.

Same shape as torch.autograd.Function, with one deliberate difference: `forward` and `backward`
work on NumPy arrays, not Tensors. A Function is the "kernel" level — the arrays in, the arrays out,
and the derivative rule — while `apply` does the Tensor bookkeeping:

    class Square(Function):
        @staticmethod
        def forward(ctx, x):              # x: np.ndarray
            ctx.save_for_backward(x)
            return x * x
        @staticmethod
        def backward(ctx, grad):          # grad: np.ndarray shaped like the output
            (x,) = ctx.saved_tensors
            return 2 * x * grad           # one gradient per forward input (None for non-tensors)

    y = Square.apply(t)                   # t: Tensor -> y: Tensor with y.grad_fn set

Gradients a backward returns may have the output's broadcast shape: the engine sums them back to each
input's shape ("unbroadcasting") and casts them to the input's dtype.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from tiny.autograd.grad_mode import grad_enabled
from tiny.autograd.version import record_saved


class Context:
    """What forward leaves for backward. Freed after backward unless retain_graph=True."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple | None = ()
        self.non_differentiable: set[int] = set()

    def save_for_backward(self, *arrays: Any) -> None:
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        if self._saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the graph "
                "are freed when you call .backward(). Specify retain_graph=True if you need to "
                "backward through the graph a second time.")
        return self._saved

    def mark_non_differentiable(self, *output_indices: int) -> None:
        """Outputs (by position) that carry no gradient, such as argmax indices."""
        self.non_differentiable.update(output_indices)

    def free_saved(self) -> None:
        """Drop what forward saved (the engine calls it after backward unless retain_graph=True); a later
        `saved_tensors` then raises torch's "backward through the graph a second time" error."""
        self._saved = None


class Node:
    """One recorded application of a Function: the graph vertex backward walks."""

    __slots__ = ("function", "ctx", "inputs", "output_meta", "freed")

    def __init__(self, function: type, ctx: Context, inputs: list, output_meta: list) -> None:
        self.function = function
        self.ctx = ctx
        self.inputs = inputs            # per forward arg: the Tensor if it needs a gradient, else None
        self.output_meta = output_meta  # per output: (shape, dtype) to materialize missing gradients
        self.freed = False

    def name(self) -> str:
        return self.function.__name__

    # ----- the engine's public API (what `run_backward` uses) ---------------------------------
    @property
    def num_outputs(self) -> int:
        """How many outputs forward returned (1 unless it returned a tuple)."""
        return len(self.output_meta)

    def zero_grad_output(self, index: int) -> np.ndarray:
        """Zeros shaped and typed like output `index`: the gradient of an output nothing used."""
        shape, dtype = self.output_meta[index]
        return np.zeros(shape, dtype)

    def release(self) -> None:
        """Free the saved values after backward (unless retain_graph); marks the node freed."""
        self.ctx.free_saved()
        self.freed = True

    def __repr__(self) -> str:
        return f"<{self.name()}Backward>"


def output_index(tensor: Any) -> int:
    """Which output of `tensor.grad_fn` the tensor is (torch's `Tensor.output_nr`): 0 for a Function
    with one output, i for the i-th element of a tuple forward returned."""
    return tensor._output_index


class Function:
    """Subclass and define static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)`."""

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        from tiny.tensor import Tensor

        needs_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        raw_args = [a.data if isinstance(a, Tensor) else a for a in args]
        ctx = Context(needs_grad)
        result = cls.forward(ctx, *raw_args, **kwargs) if not OBSERVERS else observed_forward(cls, ctx, raw_args, kwargs)
        is_tuple = isinstance(result, tuple)
        outputs = [Tensor._wrap(np.asarray(r)) for r in (result if is_tuple else (result,))]
        if grad_enabled() and any(needs_grad):
            inputs = [a if needs else None for a, needs in zip(args, needs_grad)]
            node = Node(cls, ctx, inputs, [(o.data.shape, o.data.dtype) for o in outputs])
            for index, out in enumerate(outputs):
                if index not in ctx.non_differentiable and out.data.dtype.kind == "f":
                    out.requires_grad = True
                    out.grad_fn = node
                    out._output_index = index
            if ctx._saved:  # each saved array remembers its version (see version.py)
                ctx._saved_versions = record_saved(ctx._saved, outputs)
        return tuple(outputs) if is_tuple else outputs[0]


# ----- observers: how tiny.profiler sees every Function run ------------------------------------------
# tiny.profiler's tracers (FLOP counting, per-op timing, saved-activation accounting) add themselves to
# OBSERVERS for the duration of a `with` block and remove themselves in a `finally`. An observer has
#     on_forward(function, ctx, args, kwargs, result, start, seconds)     args: the forward's array arguments
#     on_backward(function, ctx, grad_outputs, grads, start, seconds)
# (start: time.perf_counter() when the call began). With no observer registered, apply() and the engine
# pay one truthiness test each. Functions never know they are observed.
OBSERVERS: list = []


def observed_forward(cls: type, ctx: Context, raw_args: list, kwargs: dict) -> Any:
    start = time.perf_counter()
    result = cls.forward(ctx, *raw_args, **kwargs)
    seconds = time.perf_counter() - start
    for observer in list(OBSERVERS):
        observer.on_forward(cls, ctx, raw_args, kwargs, result, start, seconds)
    return result


def call_backward(function: type, ctx: Context, grad_outputs: list) -> Any:
    """function.backward(ctx, *grad_outputs), reported to the observers (the engine calls this)."""
    if not OBSERVERS:
        return function.backward(ctx, *grad_outputs)
    start = time.perf_counter()
    grads = function.backward(ctx, *grad_outputs)
    seconds = time.perf_counter() - start
    for observer in list(OBSERVERS):
        observer.on_backward(function, ctx, grad_outputs, grads, start, seconds)
    return grads
