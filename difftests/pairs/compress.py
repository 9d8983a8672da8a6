"""Pairs for the compression utilities beyond pruning (area "prune", the course's compression module):

- `nn.utils.distillation_loss`: Hinton et al.'s loss against the same formula in torch.nn.functional, forward
  and the gradient w.r.t. the student logits (the teacher is detached on both sides); temperatures 1-8, alpha
  0, 1 and between, ±30 logits; bad temperature / alpha / shapes raise ValueError.
- `nn.utils.factorize_linear`: the rank-r weight (second @ first), the factorized layer's output and the
  relative error, against torch.linalg.svd. The factors themselves are not compared (singular vectors are
  defined up to sign); weights are built with well-separated singular values so W_r is well defined.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests import strategies as S
from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "prune"


def _distill_call(lib, student, teacher, targets, temperature=1.0, alpha=0.5):
    return lib.nn.utils.distillation_loss(student, teacher, targets, temperature=temperature, alpha=alpha)


def _distill(label, student, teacher, targets, **kw):
    return Case((student, teacher, np.asarray(targets, np.int64)), kw, grad=(True, False, False), label=label)


def _distill_examples(dtype):
    rng = np.random.default_rng(3)
    s, t = rng.standard_normal((4, 5)).astype(dtype), rng.standard_normal((4, 5)).astype(dtype)
    y = [0, 4, 2, 2]
    return [
        _distill("T=1, alpha=0.5", s, t, y),
        _distill("T=4, alpha=0.9 (the T^2 scaling)", s, t, y, temperature=4.0, alpha=0.9),
        _distill("alpha=1: soft term only", s, t, y, temperature=2.0, alpha=1.0),
        _distill("alpha=0: cross entropy only", s, t, y, temperature=3.0, alpha=0.0),
        _distill("student equals teacher", s, s.copy(), y, temperature=2.0, alpha=0.7),
        _distill("logits ±30", (s * 30).astype(dtype), (t * 30).astype(dtype), y, temperature=8.0, alpha=0.5),
        _distill("batch of 1", s[:1], t[:1], y[:1], temperature=2.0, alpha=0.3),
        _distill("temperature 0 (error)", s, t, y, temperature=0.0),
        _distill("alpha 1.5 (error)", s, t, y, alpha=1.5),
        _distill("shape mismatch (error)", s, t[:, :4], y),
    ]


@st.composite
def _distill_case(draw, dtype):
    batch, classes = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    student = draw(S.values((batch, classes), dtype, -8.0, 8.0))
    teacher = draw(S.values((batch, classes), dtype, -8.0, 8.0))
    targets = draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))
    return _distill("", student, teacher, targets, temperature=draw(st.sampled_from([0.5, 1.0, 2.0, 4.0, 7.5])),
                    alpha=draw(st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0])))


register(Pair("nn.utils.distillation_loss", AREA, call=_distill_call,
              ref="reference.nn.utils.distill:distillation_loss", source="tiny.nn.utils.distill:distillation_loss",
              strategy=_distill_case, examples=_distill_examples, requires=("nn.utils.distillation_loss",)))


def _factorize_call(lib, weight, bias, x, rank):
    layers, error = lib.nn.utils.factorize_linear(_linear(lib, weight, bias), rank)
    first, second = layers[0], layers[1]
    return second.weight @ first.weight, layers(x), lib.tensor(np.array([error], np.float64))


def _linear(lib, weight, bias):
    layer = lib.nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    layer.load_state_dict({"weight": weight, "bias": bias})
    return layer


def separated(rng, out_features, in_features, dtype):
    """A weight with singular values 2^0, 2^-1, ...: every gap is a factor 2, so truncations are well posed."""
    k = min(out_features, in_features)
    u, _ = np.linalg.qr(rng.standard_normal((out_features, k)))
    v, _ = np.linalg.qr(rng.standard_normal((in_features, k)))
    return ((u * 2.0 ** -np.arange(k)) @ v.T).astype(dtype)


def _factor(label, weight, x, rank):
    bias = np.linspace(-0.5, 0.5, weight.shape[0]).astype(weight.dtype)
    return Case((weight, bias, x, rank), grad=(False,) * 4, label=label)


def _factorize_examples(dtype):
    rng = np.random.default_rng(9)
    w = separated(rng, 6, 8, dtype)
    x = rng.standard_normal((3, 8)).astype(dtype)
    return [
        _factor("rank 1", w, x, 1), _factor("rank 3", w, x, 3), _factor("full rank: error 0", w, x, 6),
        _factor("tall weight", separated(rng, 9, 4, dtype), x[:, :4], 2),
        _factor("rank 0 (error)", w, x, 0), _factor("rank above min(out, in) (error)", w, x, 7),
        _factor("rank 2.5 (error)", w, x, 2.5),
    ]


@st.composite
def _factorize_case(draw, dtype):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    out_features, in_features = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    rank = draw(st.integers(1, min(out_features, in_features)))
    x = draw(S.values((2, in_features), dtype, -3.0, 3.0))
    return _factor("", separated(rng, out_features, in_features, dtype), x, rank)


register(Pair("nn.utils.factorize_linear", AREA, call=_factorize_call,
              ref="reference.nn.utils.low_rank:factorize_outputs", source="tiny.nn.utils.low_rank:factorize_linear",
              strategy=_factorize_case, examples=_factorize_examples, differentiable=False,
              requires=("nn.utils.factorize_linear", "nn.Linear", "Tensor.__matmul__")))
