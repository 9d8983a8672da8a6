"""FLOP counting by tracing the Functions a model actually runs, with torch's FlopCounterMode formulas.

`count_flops(model, *inputs)` runs the model once under a `FlopCounter` (an observer of every
`Function.apply` and of every backward the engine runs) and adds up a per-Function formula. The formulas
are torch.utils.flop_counter's: only matrix products count, a product (m, k) @ (k, n) costs 2·m·n·k
(multiply + add), convolutions cost 2·prod(out spatial)·prod(kernel)·N·C_out·C_in/groups, and elementwise
ops, reductions, softmax, normalization, embeddings and losses cost nothing. The batch always counts.

    Function                          forward                         backward (per input that needs a grad)
    LinearFunction  x (*, in) W (out, in)   2·rows·in·out (rows = prod(*))   grad_x: 2·rows·in·out, grad_W: same
    MatMul          torch.matmul's kernels: mm / bmm cost 2·b·n·k·m; torch's dot and mv (a 1-D operand that
                    torch folds into a matrix-vector product) are not counted by FlopCounterMode, so 0 here too
    ScaledDotProductAttentionFunction   torch's fused-SDPA formula: Q K^T and P V, 2·B·L·S·(E + Ev);
                    backward 5 products (scores recomputed, dP, dV, dQ, dK), whatever needs a gradient
    Conv2dFunction  2·prod(out HW)·kh·kw·N·C_out·C_in/groups; backward: grad_x the same, grad_W counted
                    as torch does, with C_in undivided (so a grouped conv's grad_W counts `groups` times more)

Deliberate difference, measured: on the CPU torch runs 4-D attention in a fused "flash" kernel for which
FlopCounterMode has NO formula (it reports 0 FLOPs for attention); the reference twin maps that kernel to
torch's own fused formulas (reference/profiler/flops.py), which is what FlopCounterMode reports for the same
op on CUDA and what tiny counts. Inputs torch sends to its math kernel instead (not 4-D, broadcast batch,
dropout, Ev != E) count 4 backward products there (no recomputation) where tiny counts 5.
"""
from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Callable

import numpy as np

from tiny.autograd import function as _function

__all__ = ["FlopCounter", "count_flops", "FLOP_FORMULAS"]


def _prod(shape) -> int:
    return int(math.prod(int(s) for s in shape))


# ----- the formulas: (args, kwargs, result, needs_input_grad) -> (forward FLOPs, backward FLOPs) -------------
def linear_flops(args, kwargs, result, needs) -> tuple[int, int]:
    """x (*, in) @ W^T (in, out): one (rows, in) @ (in, out) product; backward one per needed gradient. Task `linear_flops`."""
    # BEGIN SOLUTION
    x, weight = np.shape(args[0]), np.shape(args[1])
    product = 2 * _prod(x[:-1]) * weight[1] * weight[0]
    return product, product * (int(needs[0]) + int(needs[1]))
    # END SOLUTION


def _fold_into_mm(a: tuple, b: tuple, needs: tuple) -> bool:
    """torch.matmul folds the batch of the larger operand into the rows of one mm (or mv) when the other
    operand is at most 2-D, if that needs no copy; with contiguous operands (tiny has no strides) that is:
    always when the first operand is the larger one; when it is the second (transposed), only if the
    smaller operand needs a gradient, is 1-D with an empty product, or the inner dim k is 1."""
    if max(len(a), len(b)) < 3 or min(len(a), len(b)) > 2:
        return False
    if len(a) >= len(b):
        return True
    if needs[0]:
        return True
    if len(a) == 2:
        return False
    return _prod(b) == 0 or b[-2] == 1


def matmul_flops(args, kwargs, result, needs) -> tuple[int, int]:
    """torch.matmul's decomposition on contiguous operands: dot, mv (0 FLOPs: FlopCounterMode does not count
    them), mm or bmm (2·batch·n·k·m each, once forward and once per operand that needs a gradient). Task `matmul_flops`."""
    # BEGIN SOLUTION
    a, b = tuple(np.shape(args[0])), tuple(np.shape(args[1]))
    if len(a) == len(b) == 3 and (a[0] == 1) != (b[0] == 1):  # torch squeezes a lone batch of 1
        a, b = (a[1:], b) if a[0] == 1 else (a, b[1:])
    n = 1 if len(a) == 1 else a[-2]
    k = a[-1]
    m = 1 if len(b) == 1 else b[-1]
    if len(a) == 1 and len(b) == 1 or len(a) == 2 and len(b) == 1:
        return 0, 0                                              # dot, mv
    if _fold_into_mm(a, b, needs) and min(len(a), len(b)) == 1:
        return 0, 0                                              # folded into an mv
    batch = _prod(np.broadcast_shapes(a[:-2], b[:-2] if len(b) > 1 else ()))
    product = 2 * batch * n * k * m
    return product, product * (int(needs[0]) + int(needs[1]))
    # END SOLUTION


def sdpa_flops(args, kwargs, result, needs) -> tuple[int, int]:
    """torch's sdpa_flop_count / sdpa_backward_flop_count with the batch dims flattened (B = prod(*) of the
    output, heads included): forward Q K^T + P V; backward recomputes Q K^T, then dP, dV, dQ and dK. Task `sdpa_flops`."""
    # BEGIN SOLUTION
    query, key, value = (np.shape(a) for a in args[:3])
    out = np.shape(result)
    batch, length, source = _prod(out[:-2]), query[-2], key[-2]
    embed, value_embed = query[-1], value[-1]
    forward = 2 * batch * length * source * embed + 2 * batch * length * source * value_embed
    backward = 2 * batch * length * source * (3 * embed + 2 * value_embed)
    return forward, backward
    # END SOLUTION


def conv_flop_count(x_shape, w_shape, out_shape, transposed: bool = False) -> int:
    """2·prod(spatial)·prod(kernel)·N·C_out·C_in_of_the_weight, spatial = the output's (the input's when
    transposed): torch's conv_flop_count. Task `conv_flop_count`."""
    # BEGIN SOLUTION
    spatial = (x_shape if transposed else out_shape)[2:]
    c_out, c_in, *kernel = w_shape
    return 2 * _prod(spatial) * _prod(kernel) * x_shape[0] * c_out * c_in
    # END SOLUTION


def conv2d_flops(args, kwargs, result, needs) -> tuple[int, int]:
    """x (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kh, kw) -> (N, C_out, oh, ow). Task `conv2d_flops`."""
    # BEGIN SOLUTION
    x, weight, out = tuple(np.shape(args[0])), tuple(np.shape(args[1])), tuple(np.shape(result))
    if len(x) == 3:  # unbatched: torch adds a batch of 1
        x, out = (1,) + x, (1,) + out
    forward = conv_flop_count(x, weight, out)
    backward = 0
    if needs[0]:  # grad_x = conv_transpose(grad_out, weight)
        backward += conv_flop_count(out, weight, x, transposed=True)
    if len(needs) > 1 and needs[1]:  # grad_W = conv(x^T, grad_out^T)
        swap = lambda s: (s[1], s[0]) + tuple(s[2:])  # noqa: E731
        backward += conv_flop_count(swap(x), swap(out), swap(weight))
    return forward, backward
    # END SOLUTION


# Keyed by the Function's class name, so any implementation's Functions of these names are counted. Other
# Functions (elementwise, reductions, softmax, normalization, losses, embeddings) count 0, as in torch.
FLOP_FORMULAS: dict[str, Callable] = {
    "LinearFunction": linear_flops,
    "MatMul": matmul_flops,
    "ScaledDotProductAttentionFunction": sdpa_flops,
    "Conv2dFunction": conv2d_flops,
    # tiny.accel's kernels compute the same products as the Functions above
    "TiledMatMul": matmul_flops,
    "FusedAttention": sdpa_flops,
    "Im2colConv2d": conv2d_flops,
}


class FlopCounter:
    """A context counting the FLOPs of every Function run inside it (torch's FlopCounterMode's shape).

        with FlopCounter() as counter:
            loss = model(x).sum(); loss.backward()
        counter.get_total_flops()            # int
        counter.get_flop_counts()            # {"forward": {"LinearFunction": n, ...}, "backward": {...}}
    """

    def __init__(self, formulas: dict[str, Callable] | None = None) -> None:
        self.formulas = dict(FLOP_FORMULAS if formulas is None else formulas)
        self.counts: dict[str, dict[str, int]] = {"forward": defaultdict(int), "backward": defaultdict(int)}
        self._pending: dict[int, tuple[Any, int]] = {}   # id(ctx) -> (ctx, backward FLOPs of that call)

    def __enter__(self) -> "FlopCounter":
        self.counts = {"forward": defaultdict(int), "backward": defaultdict(int)}
        self._pending.clear()
        _function.OBSERVERS.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self in _function.OBSERVERS:
            _function.OBSERVERS.remove(self)
        self._pending.clear()

    def on_forward(self, function, ctx, args, kwargs, result, start, seconds) -> None:
        formula = self.formulas.get(function.__name__)
        if formula is None:
            return
        forward, backward = formula(args, kwargs, result, ctx.needs_input_grad)
        self.counts["forward"][function.__name__] += int(forward)
        self._pending[id(ctx)] = (ctx, int(backward))

    def on_backward(self, function, ctx, grad_outputs, grads, start, seconds) -> None:
        entry = self._pending.get(id(ctx))
        if entry is not None and entry[0] is ctx:
            self.counts["backward"][function.__name__] += entry[1]

    def get_total_flops(self) -> int:
        return sum(sum(phase.values()) for phase in self.counts.values())

    def get_flop_counts(self) -> dict[str, dict[str, int]]:
        return {phase: dict(counts) for phase, counts in self.counts.items()}


def _backward_root(output: Any, loss_fn: Callable | None) -> Any:
    """The Tensor backward starts from: loss_fn(output), else the output (the first Tensor of a tuple)."""
    from tiny.tensor import Tensor

    root = loss_fn(output) if loss_fn is not None else output
    if isinstance(root, (tuple, list)):
        root = next((t for t in root if isinstance(t, Tensor)), None)
    if not isinstance(root, Tensor):
        raise TypeError(f"count_flops(backward=True): expected the model (or loss_fn) to return a Tensor, got "
                        f"{type(root).__name__}")
    return root


def count_flops(model: Callable, *inputs: Any, backward: bool = False, loss_fn: Callable | None = None,
                **kwargs: Any) -> int:
    """FLOPs of model(*inputs, **kwargs) — and of its backward too when `backward=True`.

    The backward starts from loss_fn(output) if given, else from the output (the first Tensor of a tuple),
    with a gradient of ones when it is not a scalar; FLOPs do not depend on the gradient's values. Only the
    Functions actually run are counted, so what needs no gradient (e.g. the input data) costs nothing.
    """
    from tiny import ones_like

    with FlopCounter() as counter:
        output = model(*inputs, **kwargs)
        if backward:
            root = _backward_root(output, loss_fn)
            root.backward(None if root.ndim == 0 else ones_like(root))
    return counter.get_total_flops()
