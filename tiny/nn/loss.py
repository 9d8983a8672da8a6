"""Losses, as in torch.nn: MSE, L1, cross entropy, NLL, binary cross entropy (on probabilities and on
logits) and KL divergence — each a Module and a functional form with torch's arguments and semantics.

Each loss is a Function over NumPy arrays: the elementwise (or per-sample) loss with its derivative
beside it. Cross entropy is one fused Function: forward computes the log-softmax once, and backward is
`(softmax * sum(q) - q)` scaled by the upstream gradient, where `q` is the target distribution with the
class weights and label smoothing folded in — not a chain of small ops.

Class-index losses (cross_entropy, nll_loss) lay the input out as rows: the class dim moves last and the
other dims flatten, so (N, C, d1, ..., dk) becomes (N*d1*...*dk, C) and an unbatched (C,) becomes (1, C).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from tiny.autograd import Function, unbroadcast
from tiny.autograd.grad_mode import grad_enabled
from tiny.nn.module import Module
from tiny.ops._util import as_operands, broadcast_shape
from tiny.promotion import result_type
from tiny.tensor import Tensor

__all__ = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss"]
__functional__ = ["mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
                  "binary_cross_entropy_with_logits", "kl_div"]

REDUCTIONS = ("none", "mean", "sum")
BCE_EPSILON = 1e-12      # torch's floor on x * (1 - x) in binary_cross_entropy's input gradient
BCE_LOG_FLOOR = -100.0   # torch clamps log(x) and log(1 - x) to >= -100, so 0 and 1 give finite losses


# ----- reduction ------------------------------------------------------------------------------
def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """torch's deprecated size_average/reduce pair, mapped to a reduction string (with its warning)."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


def _resolve_reduction(op: str, reduction: str, size_average=None, reduce=None,
                       extra: tuple = ()) -> str:
    """The reduction to apply, or ValueError for an unknown one (torch's message and exception)."""
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      UserWarning, stacklevel=3)
        return "mean"
    if reduction not in REDUCTIONS + extra:
        expected = ", ".join(repr(r) for r in REDUCTIONS + extra)
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction (expected one of {expected})")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _check_tensor(op: str, **tensors) -> None:
    for name, value in tensors.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{op}: argument '{name}' must be a Tensor, got {type(value).__name__}")


def _check_float(op: str, **tensors) -> None:
    for name, value in tensors.items():
        if value.data.dtype.kind != "f":
            raise RuntimeError(f"{op}: {name} must be a floating-point tensor, got dtype {value.data.dtype}")


def _check_not_differentiable(op: str, **tensors) -> None:
    """torch refuses a weight that requires grad where it defines no derivative for it."""
    for name, value in tensors.items():
        if value is not None and value.requires_grad and grad_enabled():
            raise RuntimeError(f"{op}: the loss is not differentiable with respect to argument '{name}'; "
                               f"{name} cannot have requires_grad=True (detach it)")


def _check_broadcasts_into(op: str, name: str, value: Tensor | None, shape: tuple) -> None:
    """`value` must broadcast to exactly `shape` (torch multiplies it into the loss in place)."""
    if value is None:
        return
    try:
        fits = broadcast_shape(op, value.data.shape, shape) == tuple(shape)
    except RuntimeError:
        fits = False
    if not fits:
        raise RuntimeError(f"{op}: {name} of shape {tuple(value.data.shape)} does not broadcast to the "
                           f"input's shape {tuple(shape)}")


# ----- regression: mean squared error and mean absolute error --------------------------------
class SquaredError(Function):
    """(input - target)^2, elementwise over the broadcast shape."""

    @staticmethod
    def forward(ctx, input, target):
        """(input - target)**2 elementwise over the broadcast shape (the reduction happens outside). Task
        `SquaredError.forward`."""
        # BEGIN SOLUTION
        diff = input - target
        ctx.save_for_backward(diff)
        return diff * diff
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (2 * (input - target) * grad, its
        negation for target). Task `SquaredError.backward`."""
        # BEGIN SOLUTION
        (diff,) = ctx.saved_tensors
        grad_input = 2 * diff * grad
        return grad_input, -grad_input
        # END SOLUTION


class AbsoluteError(Function):
    """|input - target|, elementwise over the broadcast shape."""

    @staticmethod
    def forward(ctx, input, target):
        """|input - target| elementwise over the broadcast shape. Task `AbsoluteError.forward`."""
        # BEGIN SOLUTION
        diff = input - target
        ctx.save_for_backward(diff)
        return np.abs(diff)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (sign(input - target) * grad, its
        negation): 0 at a tie, as torch. Task `AbsoluteError.backward`."""
        # BEGIN SOLUTION
        (diff,) = ctx.saved_tensors
        grad_input = np.sign(diff) * grad  # sign(0) = 0: torch's subgradient at a tie
        return grad_input, -grad_input
        # END SOLUTION


def _pointwise_regression(op: str, function: type, input, target, size_average, reduce, reduction,
                          weight) -> Tensor:
    _check_tensor(op, input=input, target=target)
    if target.shape != input.shape:
        warnings.warn(f"{op}: using a target size ({tuple(target.shape)}) that is different to the input "
                      f"size ({tuple(input.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    broadcast_shape(op, input.shape, target.shape)
    x, y = as_operands(op, input, target, dtype_rule=result_type)
    if x.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: not implemented for integer inputs (input {input.data.dtype}, "
                           f"target {target.data.dtype}); use floating-point tensors")
    errors = function.apply(x, y)
    if weight is None:
        return _reduce(errors, _resolve_reduction(op, reduction))
    _check_tensor(op, weight=weight)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: weights and input must have the same size (weight "
                         f"{tuple(weight.shape)}, input {tuple(input.shape)})")
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: invalid reduction mode {reduction!r} with weight; expected one of "
                         "'none', 'mean', 'sum'")
    weighted = errors * weight
    if reduction == "mean":
        return weighted.sum() / weight.sum()  # a weighted mean, as torch
    return _reduce(weighted, reduction)


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error. A target of another shape broadcasts (with torch's warning); `weight` (the
    input's shape) weights each element, and 'mean' then divides by the sum of the weights."""
    return _pointwise_regression("mse_loss", SquaredError, input, target, size_average, reduce, reduction,
                                 weight)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error; broadcasting and `weight` as in mse_loss."""
    return _pointwise_regression("l1_loss", AbsoluteError, input, target, size_average, reduce, reduction,
                                 weight)


# ----- class-index targets (shared by nll_loss and cross_entropy) ----------------------------
@dataclass
class ClassTargets:
    """Class-index targets, one per row of the (M, C) layout."""
    index: np.ndarray       # (M,) int64 class of each row; ignored rows hold 0
    valid: np.ndarray       # (M,) bool: False where target == ignore_index
    row_weight: np.ndarray  # (M,) weight of each row's class, in the input's dtype; 0 where ignored
    class_weight: np.ndarray | None  # (C,) or None
    loss_shape: tuple       # the shape of reduction='none'

    @property
    def total_weight(self) -> np.ndarray:
        """The divisor of reduction='mean': the weights of the non-ignored targets, summed."""
        return self.row_weight.sum()


def _class_dim(ndim: int) -> int:
    return 0 if ndim == 1 else 1


def _to_rows(x: np.ndarray, class_dim: int) -> np.ndarray:
    """(N, C, d1, ..., dk) -> (N*d1*...*dk, C); an unbatched (C,) -> (1, C)."""
    moved = np.moveaxis(x, class_dim, -1)
    return moved.reshape(int(np.prod(moved.shape[:-1])), moved.shape[-1])


def _from_rows(rows: np.ndarray, shape: tuple, class_dim: int) -> np.ndarray:
    """The inverse of _to_rows for an array of `shape`."""
    moved_shape = shape[:class_dim] + shape[class_dim + 1:] + (shape[class_dim],)
    return np.moveaxis(rows.reshape(moved_shape), -1, class_dim)


def _class_loss_shape(op: str, input_shape: tuple, target_shape: tuple) -> tuple:
    """The 'none' output shape for class-index targets, or torch's error for a target that does not fit."""
    if len(input_shape) == 0:
        raise ValueError(f"{op}: expected input with 1 or more dimensions (got 0)")
    if len(input_shape) == 1:
        if len(target_shape) > 1:
            raise RuntimeError(f"{op}: unbatched input of shape {input_shape} takes a 0-d class-index target, "
                               f"got one of shape {target_shape}")
        if len(target_shape) == 1 and target_shape[0] != 1:
            raise ValueError(f"{op}: for 1-D input, a 1-D target must have size 1, but got target of "
                             f"shape {target_shape}")
        return ()
    if len(target_shape) == 0 or target_shape[0] != input_shape[0]:
        got = target_shape[0] if target_shape else 0
        raise ValueError(f"{op}: expected input batch_size ({input_shape[0]}) to match target batch_size "
                         f"({got}) (input {input_shape}, target {target_shape})")
    expected = (input_shape[0],) + input_shape[2:]
    if tuple(target_shape) != expected:
        raise RuntimeError(f"{op}: input of shape {input_shape} (N, C, d1, ..., dk) takes class-index targets "
                           f"of shape {expected} (N, d1, ..., dk), got {target_shape}")
    return expected


def _class_weight(op: str, weight: Tensor | None, n_classes: int, dtype: np.dtype) -> np.ndarray | None:
    if weight is None:
        return None
    _check_tensor(op, weight=weight)
    if weight.data.ndim != 1 or weight.data.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight should hold one value per class ({n_classes} classes), got a "
                           f"weight of shape {tuple(weight.data.shape)}")
    if weight.data.dtype != dtype:
        raise RuntimeError(f"{op}: weight has dtype {weight.data.dtype}, expected the input's dtype {dtype}")
    _check_not_differentiable(op, weight=weight)
    return weight.data


def _class_targets(op: str, input: Tensor, target: Tensor, weight: Tensor | None,
                   ignore_index: int) -> ClassTargets:
    """Check class-index targets against the input (torch's order of checks) and lay them out as rows."""
    _check_tensor(op, input=input, target=target)
    shape = tuple(input.data.shape)
    loss_shape = _class_loss_shape(op, shape, tuple(target.data.shape))
    n_classes = shape[_class_dim(len(shape))]
    class_weight = _class_weight(op, weight, n_classes, input.data.dtype)
    if target.data.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{op}: expected class-index targets of dtype int64 (or uint8), got "
                           f"{target.data.dtype}; float targets must have the input's shape {shape}")
    _check_float(op, input=input)
    classes = target.data.astype(np.int64).reshape(-1)  # (M,)
    valid = classes != ignore_index
    out_of_range = valid & ((classes < 0) | (classes >= n_classes))
    if out_of_range.any():
        raise IndexError(f"{op}: target {classes[out_of_range][0]} is out of bounds: expected class indices "
                         f"in [0, {n_classes - 1}] or ignore_index ({ignore_index})")
    index = np.where(valid, classes, 0)
    row_weight = np.zeros(classes.shape, input.data.dtype)
    row_weight[valid] = 1 if class_weight is None else class_weight[classes[valid]]
    return ClassTargets(index, valid, row_weight, class_weight, loss_shape)


def _reduce_rows(per_row: np.ndarray, reduction: str, divisor, loss_shape: tuple) -> np.ndarray:
    """Reduce an (M,) array of per-row losses; 'mean' divides by `divisor`.

    A zero divisor (every target ignored, or zero total weight) gives nan, as torch, whose
    mean is 0 / 0 in its negative log-likelihood part even when label smoothing adds more.
    """
    if reduction == "none":
        return per_row.reshape(loss_shape)
    total = per_row.sum()
    if reduction == "sum":
        return total
    if divisor == 0:
        return np.asarray(np.nan, total.dtype)
    return total / divisor


def _row_scale(grad: np.ndarray, reduction: str, rows: int, divisor) -> np.ndarray:
    """The upstream gradient of each row's loss, (M,); nan for 'mean' over a zero divisor (torch
    computes weight[target] * grad / 0 = 0 * inf there)."""
    if reduction == "none":
        return grad.reshape(rows)
    if reduction == "sum":
        return np.full(rows, grad, grad.dtype)
    return np.full(rows, np.nan if divisor == 0 else grad / divisor, grad.dtype)


# ----- negative log-likelihood ----------------------------------------------------------------
class NegativeLogLikelihood(Function):
    """-weight[target] * input[target] per row, reduced; input holds log-probabilities."""

    @staticmethod
    def forward(ctx, input, targets: ClassTargets, reduction: str):
        """input: log-probabilities (N, C), (C,) or (N, C, d1..dk); targets: a ClassTargets (index, valid,
        row_weight, total_weight, loss_shape). Per row: -row_weight * input[row, target], exactly 0 for
        ignored rows; then reduce ('none' | 'sum' | 'mean' dividing by the total weight) with _reduce_rows.
        Task `NegativeLogLikelihood.forward`."""
        # BEGIN SOLUTION
        class_dim = _class_dim(input.ndim)
        rows = _to_rows(input, class_dim)                    # (M, C)
        picked = rows[np.arange(len(targets.index)), targets.index] if rows.shape[1] else \
            np.zeros(len(targets.index), input.dtype)        # (M,)
        # Ignored rows add exactly 0, whatever the input holds there.
        per_row = np.where(targets.valid, -targets.row_weight * picked, 0)
        ctx.targets, ctx.reduction, ctx.shape, ctx.class_dim = targets, reduction, input.shape, class_dim
        return _reduce_rows(per_row, reduction, targets.total_weight, targets.loss_shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (the loss's shape). Return (grad_input of
        input's shape: -row_weight * scale at each row's target class, 0 elsewhere and on ignored rows;
        None, None). Use _row_scale for the per-row upstream. Task `NegativeLogLikelihood.backward`."""
        # BEGIN SOLUTION
        targets = ctx.targets
        rows = len(targets.index)
        scale = _row_scale(grad, ctx.reduction, rows, targets.total_weight)     # (M,)
        grad_rows = np.zeros((rows, ctx.shape[ctx.class_dim]), grad.dtype)     # (M, C)
        valid = targets.valid
        grad_rows[np.nonzero(valid)[0], targets.index[valid]] = -targets.row_weight[valid] * scale[valid]
        return _from_rows(grad_rows, ctx.shape, ctx.class_dim), None, None
        # END SOLUTION


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices. input: (N, C), (C,) or (N, C, d1, ..., dk) log-probs;
    target: (N,), () or (N, d1, ..., dk) int64 in [0, C) or ignore_index. 'mean' divides by the summed
    weight of the non-ignored targets (nan when there are none)."""
    reduction = _resolve_reduction("nll_loss", reduction, size_average, reduce)
    targets = _class_targets("nll_loss", input, target, weight, ignore_index)
    return NegativeLogLikelihood.apply(input, targets, reduction)


# ----- cross entropy (fused log-softmax + negative log-likelihood) ----------------------------
def _log_softmax_rows(rows: np.ndarray) -> np.ndarray:
    """Stable log-softmax over the last dim: x - max - log(sum(exp(x - max))); exp never overflows."""
    shifted = rows - np.max(rows, axis=-1, keepdims=True, initial=-np.inf)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


class CrossEntropy(Function):
    """-sum_c q[c] * log_softmax(input)[c] per row, reduced.

    q (the input's shape) is the target distribution with class weights and label smoothing folded in.
    `valid` is None for probability targets; for class indices it marks the non-ignored rows, whose
    gradient alone is non-zero (torch gives ignored rows an exact 0, even when 'mean' divides by 0).
    """

    @staticmethod
    def forward(ctx, input, q, reduction: str, divisor, valid, loss_shape: tuple):
        """input: logits (N, C), (C,) or (N, C, d1..dk); q: the target distribution, same shape, with class
        weights and label smoothing folded in. Per row: -sum_c q[c] * log_softmax(input)[c] (stable
        log-softmax); then reduce with `divisor` for 'mean'. `valid` marks non-ignored rows (None for
        probability targets); terms with q == 0 add exactly 0. Task `CrossEntropy.forward`."""
        # BEGIN SOLUTION
        class_dim = _class_dim(input.ndim)
        log_probs = _log_softmax_rows(_to_rows(input, class_dim))   # (M, C)
        q_rows = _to_rows(q, class_dim)                              # (M, C)
        with np.errstate(invalid="ignore"):
            terms = q_rows * log_probs
        if valid is not None:  # a class with no target mass adds exactly 0, even where log p = -inf
            terms = np.where(q_rows != 0, terms, 0)
        ctx.save_for_backward(log_probs, q_rows)
        ctx.reduction, ctx.divisor, ctx.valid = reduction, divisor, valid
        ctx.shapes, ctx.class_dim = (input.shape, q.shape), class_dim
        return _reduce_rows(-terms.sum(axis=-1), reduction, divisor, loss_shape)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad_input = (softmax(input) * sum(q)
        - q) * row scale, 0 on ignored rows; grad_q = -log_softmax(input) * row scale when needed, else
        None; None, None, None, None). Task `CrossEntropy.backward`."""
        # BEGIN SOLUTION
        log_probs, q_rows = ctx.saved_tensors
        scale = _row_scale(grad, ctx.reduction, len(q_rows), ctx.divisor)[:, None]  # (M, 1)
        with np.errstate(invalid="ignore", over="ignore"):
            grad_rows = (np.exp(log_probs) * q_rows.sum(axis=-1, keepdims=True) - q_rows) * scale
            if ctx.valid is not None:
                grad_rows = np.where(ctx.valid[:, None], grad_rows, 0)
            grad_q = -log_probs * scale if ctx.needs_input_grad[1] else None
        input_shape, q_shape = ctx.shapes
        grad_input = _from_rows(grad_rows, input_shape, ctx.class_dim)
        grad_q = None if grad_q is None else _from_rows(grad_q, q_shape, ctx.class_dim)
        return grad_input, grad_q, None, None, None, None
        # END SOLUTION


def _check_label_smoothing(label_smoothing: float) -> float:
    """The smoothing actually applied: torch smooths only for 0 < label_smoothing <= 1."""
    if label_smoothing > 1.0:
        raise RuntimeError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    return float(label_smoothing) if label_smoothing > 0.0 else 0.0


def _class_target_distribution(targets: ClassTargets, n_classes: int, smoothing: float,
                               dtype: np.dtype) -> np.ndarray:
    """(M, C): (1 - smoothing) * weight[y] on each row's class, plus smoothing / C * weight[c] on every
    class of a non-ignored row (torch's label smoothing, weighted per class)."""
    rows = len(targets.index)
    q = np.zeros((rows, n_classes), dtype)
    valid_rows = np.nonzero(targets.valid)[0]
    q[valid_rows, targets.index[valid_rows]] = (1 - smoothing) * targets.row_weight[valid_rows]
    if smoothing > 0:
        per_class = np.ones(n_classes, dtype) if targets.class_weight is None else targets.class_weight
        q[valid_rows] += (smoothing / n_classes * per_class).astype(dtype)
    return q


def _cross_entropy_class_indices(input: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                                 label_smoothing: float) -> Tensor:
    smoothing = _check_label_smoothing(label_smoothing)
    targets = _class_targets("cross_entropy", input, target, weight, ignore_index)
    shape = tuple(input.data.shape)
    class_dim = _class_dim(len(shape))
    q_rows = _class_target_distribution(targets, shape[class_dim], smoothing, input.data.dtype)  # (M, C)
    q = _from_rows(q_rows, shape, class_dim)
    return CrossEntropy.apply(input, q, reduction, targets.total_weight, targets.valid, targets.loss_shape)


def _cross_entropy_probabilities(input: Tensor, target: Tensor, weight, ignore_index: int, reduction: str,
                                 label_smoothing: float) -> Tensor:
    """Soft targets: q = (target * (1 - smoothing) + smoothing / C) * weight, differentiable in target
    and weight; 'mean' divides by the number of rows N*d1*...*dk (nan when the input is empty)."""
    op = "cross_entropy"
    if target.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: a target of the input's shape {tuple(input.shape)} holds class "
                           f"probabilities and must be floating point, got {target.data.dtype}")
    if ignore_index >= 0:
        raise RuntimeError(f"{op}: ignore_index ({ignore_index}) is not supported for floating point "
                           "(probability) targets")
    if input.data.ndim == 0:
        raise IndexError(f"{op}: input must have a class dim (shape (C,), (N, C) or (N, C, d1, ...)), "
                         "got a 0-d tensor")
    _check_float(op, input=input)
    class_dim = _class_dim(input.data.ndim)
    n_classes = input.data.shape[class_dim]
    if weight is not None:
        _check_tensor(op, weight=weight)
        if weight.data.ndim != 1 or weight.data.shape[0] != n_classes:
            raise RuntimeError(f"{op}: weight should hold one value per class ({n_classes} classes), got a "
                               f"weight of shape {tuple(weight.data.shape)}")
    smoothing = _check_label_smoothing(label_smoothing)
    q = target * (1 - smoothing) + smoothing / n_classes if smoothing > 0 else target
    if weight is not None:
        q = q * weight.reshape(*[n_classes if d == class_dim else 1 for d in range(input.data.ndim)])
    rows = input.data.size // n_classes if input.data.size else 0
    divisor = np.asarray(rows, np.result_type(input.data.dtype, q.data.dtype))
    loss_shape = np.moveaxis(input.data, class_dim, -1).shape[:-1]
    return CrossEntropy.apply(input, q, reduction, divisor, None, loss_shape)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits and targets, with a numerically stable fused log-softmax.

    input: (N, C), unbatched (C,), or (N, C, d1, ..., dk) logits. target: class indices (int64) of
    shape (N,), () or (N, d1, ..., dk) in [0, C) or ignore_index; or class probabilities (float) of the
    input's shape. weight: (C,). 'mean' divides by the summed weight of the non-ignored targets for
    class indices (nan when all are ignored), by the number of rows for probabilities. label_smoothing
    mixes the target with the uniform distribution over the C classes, as torch defines it.
    """
    reduction = _resolve_reduction("cross_entropy", reduction, size_average, reduce)
    _check_tensor("cross_entropy", input=input, target=target)
    if input.shape == target.shape:  # torch's rule: same shape means probability targets
        return _cross_entropy_probabilities(input, target, weight, ignore_index, reduction, label_smoothing)
    return _cross_entropy_class_indices(input, target, weight, ignore_index, reduction, label_smoothing)


# ----- binary cross entropy -------------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """-weight * (t * log(x) + (1 - t) * log(1 - x)), each log clamped to >= -100 as torch."""

    @staticmethod
    def forward(ctx, input, target, weight):
        """-weight * (t * log(x) + (1 - t) * log(1 - x)) elementwise, each log clamped to >= -100 as torch
        (BCE_LOG_FLOOR). weight: None or broadcastable, not differentiable. Task
        `BinaryCrossEntropy.forward`."""
        # BEGIN SOLUTION
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(input), BCE_LOG_FLOOR)
            log_1mx = np.maximum(np.log1p(-input), BCE_LOG_FLOOR)
        loss = (target - 1) * log_1mx - target * log_x
        ctx.save_for_backward(input, target, weight)
        return loss if weight is None else loss * weight
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad * weight * (x - t) / max(x * (1 -
        x), 1e-12) — torch's floor BCE_EPSILON —, grad * weight * (log(1 - x) - log(x)) unclamped when
        needed else None, None). Task `BinaryCrossEntropy.backward`."""
        # BEGIN SOLUTION
        input, target, weight = ctx.saved_tensors
        grad = grad if weight is None else grad * weight
        # torch floors x * (1 - x) at 1e-12, so x = 0 or 1 gives a large finite input gradient.
        floor = np.asarray(BCE_EPSILON, input.dtype)
        grad_input = grad * (input - target) / np.maximum((1 - input) * input, floor)
        grad_target = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_target = grad * (np.log1p(-input) - np.log(input))  # unclamped: ±inf at 0 and 1
        return grad_input, grad_target, None
        # END SOLUTION


def _check_in_unit_interval(op: str, name: str, values: np.ndarray) -> None:
    inside = (values >= 0) & (values <= 1)  # nan fails too
    if not inside.all():
        bad = values[~inside].reshape(-1)[0]
        raise RuntimeError(f"{op}: all elements of {name} should be between 0 and 1, found {bad}")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy of probabilities. input, target: same shape and dtype, values in [0, 1];
    weight broadcasts to the input's shape (not differentiable, as in torch)."""
    op = "binary_cross_entropy"
    reduction = _resolve_reduction(op, reduction, size_average, reduce)
    _check_tensor(op, input=input, target=target)
    if target.shape != input.shape:
        raise ValueError(f"{op}: using a target size ({tuple(target.shape)}) that is different to the "
                         f"input size ({tuple(input.shape)}) is deprecated. Please ensure they have the same size.")
    _check_broadcasts_into(op, "weight", weight, input.shape)
    _check_not_differentiable(op, weight=weight)
    if target.data.dtype != input.data.dtype:
        raise RuntimeError(f"{op}: target has dtype {target.data.dtype} but expected the input's dtype "
                           f"{input.data.dtype}")
    _check_float(op, input=input)
    _check_in_unit_interval(op, "input", input.data)
    _check_in_unit_interval(op, "target", target.data)
    loss = BinaryCrossEntropy.apply(input, target, None if weight is None else weight.data)
    return _reduce(loss, reduction)


def _softplus_neg(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(-x)) = -log(sigmoid(x)), stable at ±1e4."""
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class BinaryCrossEntropyWithLogits(Function):
    """weight * ((1 - t) * x + (1 + (pos_weight - 1) * t) * log(1 + exp(-x))), the stable form."""

    @staticmethod
    def forward(ctx, input, target, weight, pos_weight):
        """weight * ((1 - t) * x + (1 + (pos_weight - 1) * t) * log(1 + exp(-x))) elementwise, with log(1 +
        exp(-x)) computed stably (_softplus_neg); weight and pos_weight: None or broadcastable, not
        differentiable. Task `BinaryCrossEntropyWithLogits.forward`."""
        # BEGIN SOLUTION
        softplus_neg = _softplus_neg(input)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
        loss = (1 - target) * input + log_weight * softplus_neg
        ctx.save_for_backward(input, target, weight, pos_weight, softplus_neg)
        return loss if weight is None else loss * weight
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (d/dx, d/dt, None, None): without
        pos_weight (sigmoid(x) - t) * grad and -x * grad; with pos_weight ((1 + (pw - 1) * t) * sigmoid(x)
        - pw * t) * grad and (-x + (pw - 1) * softplus(-x)) * grad; both times weight. Task
        `BinaryCrossEntropyWithLogits.backward`."""
        # BEGIN SOLUTION
        input, target, weight, pos_weight, softplus_neg = ctx.saved_tensors
        grad = grad if weight is None else grad * weight
        if pos_weight is None:
            grad_input = (_sigmoid(input) - target) * grad
            grad_target = -input * grad
        else:
            log_weight = 1 + (pos_weight - 1) * target
            grad_input = (log_weight * _sigmoid(input) - pos_weight * target) * grad
            grad_target = (-input + (pos_weight - 1) * softplus_neg) * grad
        return grad_input, grad_target, None, None
        # END SOLUTION


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + binary cross entropy in one stable step. input, target: same shape (float);
    weight and pos_weight broadcast to the input's shape — pos_weight (C,) weights the positives of
    each class over the last dim. Neither weight is differentiable, as in torch."""
    op = "binary_cross_entropy_with_logits"
    reduction = _resolve_reduction(op, reduction, size_average, reduce)
    _check_tensor(op, input=input, target=target)
    if target.shape != input.shape:
        raise ValueError(f"{op}: target size ({tuple(target.shape)}) must be the same as input size "
                         f"({tuple(input.shape)})")
    _check_not_differentiable(op, weight=weight, pos_weight=pos_weight)
    if target.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: target must be floating point (probabilities of the positive class), "
                           f"got {target.data.dtype}")
    _check_float(op, input=input)
    x, t = as_operands(op, input, target, dtype_rule=result_type)
    _check_broadcasts_into(op, "weight", weight, input.shape)
    _check_broadcasts_into(op, "pos_weight", pos_weight, input.shape)
    dtype = x.data.dtype
    loss = BinaryCrossEntropyWithLogits.apply(x, t, None if weight is None else weight.data.astype(dtype),
                                              None if pos_weight is None else pos_weight.data.astype(dtype))
    return _reduce(loss, reduction)


# ----- KL divergence --------------------------------------------------------------------------
class KLDivergence(Function):
    """Pointwise target * (log(target) - input), with 0 * log(0) = 0; input holds log-probabilities.
    With log_target the target holds log-probabilities too: exp(target) * (target - input).
    input and target broadcast; the loss has their broadcast shape."""

    @staticmethod
    def forward(ctx, input, target, log_target: bool):
        """Pointwise KL: target * (log(target) - input) with 0 * log(0) = 0 (torch's xlogy); with log_target,
        exp(target) * (target - input). input, target broadcast. Task `KLDivergence.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(input, target)
        ctx.log_target = log_target
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if log_target:
                return np.exp(target) * (target - input)
            target_log_target = np.where(target == 0, 0, target * np.log(target))  # torch's xlogy
            return target_log_target - target * input
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (d/dinput, d/dtarget, None).
        log_target: (-exp(t) * grad, exp(t) * (t - input + 1) * grad). Otherwise (-t * grad, and for target
        torch's xlogy derivative log(t) + t / t (nan at t = 0) times grad summed to the target's shape,
        minus grad * input summed likewise). Task `KLDivergence.backward`."""
        # BEGIN SOLUTION
        input, target = ctx.saved_tensors
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if ctx.log_target:
                p = np.exp(target)
                return -p * grad, (p * (target - input) + p) * grad, None
            # xlogy(t, t) lives at the target's own shape, as in torch: its derivative log(t) + t / t
            # (nan at t = 0) multiplies the upstream gradient summed over the broadcast dims — nan even
            # when that sum is over no elements. (g * t) / t in torch's order: for subnormal t it is not g.
            log_t = np.where(target == 0, 0, np.log(target))
            summed = unbroadcast(grad, target.shape, "kl_div")
            grad_xlogy = summed * log_t + summed * target / target
            return -target * grad, grad_xlogy - unbroadcast(grad * input, target.shape, "kl_div"), None
        # END SOLUTION


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence loss, pointwise then reduced. input and target broadcast. 'mean' averages over
    every element (torch warns); 'batchmean' divides the sum by input.size(0) (the KL definition)."""
    op = "kl_div"
    legacy = size_average is not None or reduce is not None
    applied = _resolve_reduction(op, reduction, size_average, reduce, extra=("batchmean",))
    if applied == "mean" and not legacy:
        warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch size and the support "
                      "size; 'batchmean' divides only by the batch size and aligns with the KL div math "
                      "definition.", UserWarning, stacklevel=2)
    _check_tensor(op, input=input, target=target)
    if input.data.dtype.kind != "f" or target.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: integral inputs not supported (input {input.data.dtype}, target "
                           f"{target.data.dtype}); use floating-point tensors")
    broadcast_shape(op, input.shape, target.shape)
    x, t = as_operands(op, input, target, dtype_rule=result_type)
    pointwise = KLDivergence.apply(x, t, bool(log_target))
    reduced = pointwise.sum() if applied == "batchmean" else _reduce(pointwise, applied)
    # torch divides by the batch size whenever reduction='batchmean' was passed, even when the legacy
    # size_average/reduce arguments chose the reduction.
    if reduction == "batchmean" and input.data.ndim != 0:
        return reduced / input.shape[0]
    return reduced


# ----- Modules --------------------------------------------------------------------------------
class _Loss(Module):
    """A loss Module: `reduction` ('none' | 'mean' | 'sum'), or torch's legacy size_average/reduce."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean") -> None:
        super().__init__()
        legacy = size_average is not None or reduce is not None
        self.reduction = _legacy_reduction(size_average, reduce) if legacy else reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with a per-class `weight`, registered as a buffer (in the state dict, not a parameter)."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: input (*), target (*) -> () or (*) with reduction='none'."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: input (*), target (*) -> () or (*) with reduction='none'."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices; shapes as in nll_loss."""

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits with class-index or probability targets; shapes as in cross_entropy."""

    def __init__(self, weight: Tensor | None = None, size_average=None, ignore_index: int = -100,
                 reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities: input (*), target (*) in [0, 1]."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy: input (*) logits, target (*); weight and pos_weight are buffers."""

    def __init__(self, weight: Tensor | None = None, size_average=None, reduce=None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, weight=self.weight, reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """KL divergence: input (*) log-probabilities, target (*) probabilities (log-probabilities with
    log_target=True)."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
