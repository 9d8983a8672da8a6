"""Matrix product with torch.matmul's rules for 1-D, 2-D and batched (broadcast) operands."""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function, unbroadcast
from tiny.ops._util import as_operands, broadcast_shape
from tiny.promotion import result_type


class MatMul(Function):
    """1-D operands are lifted to matrices ((n,) -> (1, n) on the left, (n, 1) on the right)."""

    @staticmethod
    def forward(ctx, a, b):
        """torch.matmul's rules: (..., n, k) @ (..., k, m) -> (..., n, m) with the batch dims broadcast; a 1-D
        left operand is (1, n) and a 1-D right one (n, 1), the added dim removed from the result (1-D @ 1-D
        is a 0-d dot product). Task `MatMul.forward`."""
        # BEGIN SOLUTION
        a2 = a[None, :] if a.ndim == 1 else a      # (..., n, k)
        b2 = b[:, None] if b.ndim == 1 else b      # (..., k, m)
        ctx.save_for_backward(a2, b2)
        ctx.a_shape, ctx.b_shape = a.shape, b.shape
        out = np.matmul(a2, b2)                    # (..., n, m)
        ctx.out2_shape = out.shape
        if a.ndim == 1:
            out = out[..., 0, :]
        if b.ndim == 1:
            out = out[..., 0]
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output. Return (grad @ b^T, a^T @ grad) with the 1-D
        liftings undone; broadcast batch dims are summed back by the engine. Task `MatMul.backward`."""
        # BEGIN SOLUTION
        a2, b2 = ctx.saved_tensors
        grad2 = grad.reshape(ctx.out2_shape)       # restore the lifted (..., n, m) layout
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = unbroadcast(np.matmul(grad2, np.swapaxes(b2, -1, -2)), a2.shape, "matmul.backward")
            grad_a = grad_a.reshape(ctx.a_shape)
        if ctx.needs_input_grad[1]:
            grad_b = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), grad2), b2.shape, "matmul.backward")
            grad_b = grad_b.reshape(ctx.b_shape)
        return grad_a, grad_b
        # END SOLUTION


def matmul(input, other):
    """(…, n, k) @ (…, k, m) -> (…, n, m), batch dims broadcast; 1-D @ 1-D -> 0-d dot product."""
    from tiny.tensor import Tensor

    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul: expected two Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    sa, sb = input.data.shape, other.data.shape
    if not sa or not sb:
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, got shapes {sa} and {sb}")
    k_a = sa[-1]
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if k_a != k_b:
        raise RuntimeError(f"matmul: shapes {tuple(sa)} and {tuple(sb)} cannot be multiplied: the last "
                           f"dim of the first ({k_a}) must equal the "
                           f"{'first' if len(sb) == 1 else 'second-to-last'} dim of the second ({k_b})")
    if len(sa) > 2 or len(sb) > 2:
        broadcast_shape("matmul (batch dims)", sa[:-2], sb[:-2])
    if input.data.dtype == np.bool_ or other.data.dtype == np.bool_:
        raise RuntimeError("matmul: not implemented for bool tensors")
    if input.data.dtype != other.data.dtype:  # torch does not promote in matmul
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got {input.data.dtype} "
                           f"@ {other.data.dtype} (shapes {tuple(sa)} and {tuple(sb)}); cast one with .to()")
    a, b = as_operands("matmul", input, other, dtype_rule=result_type)
    return MatMul.apply(a, b)
