"""Embedding: a lookup table, weight (num_embeddings, embedding_dim); rows are picked by index."""
from __future__ import annotations

import numpy as np

from tiny import dtypes
from tiny.autograd import Function
from tiny.nn import init
from tiny.nn.module import Module
from tiny.nn.parameter import Parameter
from tiny.tensor import Tensor

__all__ = ["Embedding"]
__functional__ = ["embedding"]


class EmbeddingFunction(Function):
    """indices (*) int, weight (V, D) -> (*, D). Gradient: each row accumulates the gradients of every
    position that picked it (repeats add up); the padding_idx row gets none."""

    @staticmethod
    def forward(ctx, indices, weight, padding_idx):
        """weight[indices]: indices (*) integer, weight (V, D) -> (*, D). padding_idx (int or None) only
        matters in backward. Task `EmbeddingFunction.forward`."""
        # BEGIN SOLUTION
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return weight[indices]
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        """grad: the upstream gradient, shaped like the output (*, D). Return (None, grad_weight (V, D),
        None): each row sums the gradients of every position that picked it (repeats add up); the
        padding_idx row gets 0. Task `EmbeddingFunction.backward`."""
        # BEGIN SOLUTION
        (indices,) = ctx.saved_tensors
        num_embeddings, dim = ctx.weight_shape
        grad_weight = np.zeros((num_embeddings, dim), grad.dtype)
        np.add.at(grad_weight, indices.reshape(-1), grad.reshape(-1, dim))  # (V, D)
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return None, grad_weight, None
        # END SOLUTION


def _normalize_padding_idx(padding_idx: int | None, num_embeddings: int) -> int | None:
    """A negative padding_idx counts from the end, as in torch."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        # torch raises AssertionError here; same class, clearer message.
        raise AssertionError(f"Padding_idx must be within num_embeddings: got padding_idx={padding_idx} "
                             f"for num_embeddings={num_embeddings}")
    return padding_idx % num_embeddings


def _check_indices(input: Tensor, weight: Tensor) -> None:
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("embedding: input and weight must be Tensors")
    if weight.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    if input.data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"embedding: indices must be int64 or int32, got {input.data.dtype}; "
                           "convert with .long()")
    if input.data.size:
        low, high = int(input.data.min()), int(input.data.max())
        if low < 0 or high >= weight.shape[0]:
            bad = low if low < 0 else high
            raise IndexError(f"embedding: index {bad} is out of range for num_embeddings={weight.shape[0]} "
                             f"(indices must be in [0, {weight.shape[0] - 1}])")


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """weight[input]: input (*) int64/int32, weight (V, D) -> (*, D). padding_idx's row gets no gradient
    (its value is used as is; nn.Embedding initializes it to zeros)."""
    _check_indices(input, weight)
    padding_idx = _normalize_padding_idx(padding_idx, weight.shape[0])
    return EmbeddingFunction.apply(input, weight, padding_idx)


class Embedding(Module):
    """weight ~ N(0, 1), (num_embeddings, embedding_dim); the padding_idx row starts at zero."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype=None) -> None:
        super().__init__()
        from tiny.nn.linear import check_sizes
        check_sizes("Embedding", num_embeddings=num_embeddings, embedding_dim=embedding_dim)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _normalize_padding_idx(padding_idx, num_embeddings)
        np_dtype = dtypes.to_dtype(dtype if dtype is not None else dtypes.float32, "Embedding").np
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), np_dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> "Embedding":
        """An Embedding holding a copy of `embeddings` (2-D); frozen (no gradient) by default."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        module = cls(rows, dim, padding_idx=padding_idx, dtype=embeddings.dtype)
        module.weight.data = np.array(embeddings.data, copy=True)
        module.weight.requires_grad = not freeze
        return module

    def forward(self, input: Tensor) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
