"""Matrix multiply at three levels: naive loops, vectorized (one np.matmul), tiled (blocked) — same result.

    naive       three Python loops, c[i, j] += a[i, p] * b[p, j]: the teaching baseline, small sizes only
    vectorized  np.matmul: one BLAS call
    tiled       the blocked algorithm a cache-aware kernel uses: C[I, J] += A[I, P] @ B[P, J] over
                tile x tile blocks, each block product one small BLAS call (as a Function with its backward,
                dA = dC B^T and dB = A^T dC, tiled the same way)
"""
from __future__ import annotations

import numpy as np

from tiny.autograd import Function
from tiny.tensor import Tensor

__all__ = ["matmul_naive", "matmul_vectorized", "tiled_matmul", "TiledMatMul"]


def _check(op: str, a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"{op}: expected 2-D matrices, got shapes {a.shape} and {b.shape}")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(f"{op}: shapes {a.shape} and {b.shape} cannot be multiplied ({a.shape[1]} != {b.shape[0]})")


def matmul_naive(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, k) @ (k, m) -> (n, m) with three Python loops: out[i, j] = sum over p of a[i, p] * b[p, j], in the
    result dtype of a and b. Task `matmul_naive`."""
    _check("matmul_naive", a, b)
    # BEGIN SOLUTION
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=np.result_type(a, b))
    for i in range(n):
        for j in range(m):
            total = 0.0
            for p in range(k):
                total += a[i, p] * b[p, j]
            out[i, j] = total
    return out
    # END SOLUTION


def matmul_vectorized(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, k) @ (k, m) -> (n, m) as one vectorized NumPy call (a single BLAS product). Task `matmul_vectorized`."""
    _check("matmul_vectorized", a, b)
    # BEGIN SOLUTION
    return np.matmul(a, b)
    # END SOLUTION


def blocked_product(a: np.ndarray, b: np.ndarray, tile: int) -> np.ndarray:
    """(n, k) @ (k, m) accumulated block by block: C[I, J] += A[I, P] @ B[P, J] over tile x tile blocks (the
    last blocks may be smaller), in the result dtype of a and b. Task `blocked_product`."""
    # BEGIN SOLUTION
    n, k = a.shape
    m = b.shape[1]
    out = np.zeros((n, m), dtype=np.result_type(a, b))
    for i in range(0, n, tile):
        for j in range(0, m, tile):
            block = out[i:i + tile, j:j + tile]                 # (ti, tj), a view: accumulated in place
            for p in range(0, k, tile):
                block += a[i:i + tile, p:p + tile] @ b[p:p + tile, j:j + tile]
    return out
    # END SOLUTION


class TiledMatMul(Function):
    """a (n, k) @ b (k, m) -> (n, m), forward and backward blocked by `tile`."""

    @staticmethod
    def forward(ctx, a, b, tile):
        """a (n, k), b (k, m) arrays, tile an int -> (n, m) by blocked_product; save what backward needs.
        Task `TiledMatMul.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        ctx.tile = tile
        return blocked_product(a, b, tile)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad (n, m): the upstream gradient. Return (dA = grad @ b^T, dB = a^T @ grad, None), each product
        blocked by the same tile, None for an input that needs no gradient. Task `TiledMatMul.backward`."""
        # BEGIN SOLUTION
        a, b = ctx.saved_tensors
        grad_a = blocked_product(grad, np.ascontiguousarray(b.T), ctx.tile) if ctx.needs_input_grad[0] else None
        grad_b = blocked_product(np.ascontiguousarray(a.T), grad, ctx.tile) if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None
        # END SOLUTION


def tiled_matmul(a: Tensor, b: Tensor, tile: int = 64) -> Tensor:
    """Tensor a (n, k) @ b (k, m), blocked (see the module docstring); differentiable."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"tiled_matmul: expected Tensors, got {type(a).__name__} and {type(b).__name__}")
    _check("tiled_matmul", a.data, b.data)
    if a.data.dtype != b.data.dtype:
        raise RuntimeError(f"tiled_matmul: expected the same dtype, got {a.data.dtype} and {b.data.dtype}")
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise ValueError(f"tiled_matmul: tile must be a positive int, got {tile!r}")
    return TiledMatMul.apply(a, b, tile)
