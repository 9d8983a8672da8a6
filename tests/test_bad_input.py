"""Bad input, swept: each call below must raise an error that names the op, the offending
shapes/dtypes/values and what was expected — never a silent result, a bare NumPy/Python message from deep
inside, or a hang — and with torch's exception class where torch raises.

The data table lists every call: label, the call on tiny, the same call on torch (None where torch has no
twin: tokenizers, checkpoints, the CLIs), the exception class expected (torch's when it raises; a deliberate
choice otherwise, with torch's behaviour in the comment), and words the message must contain (the op's name
and the offending values). Where a torch twin is given, the test also checks that torch raises that class,
so the table cannot drift from torch.
"""
from __future__ import annotations

import json
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest
import torch

import tiny
from tiny import nn
from tiny.nn import functional as F

ROOT = Path(__file__).resolve().parents[1]


def x23(L, dtype=None):
    """A (2, 3) float tensor of either library."""
    return L.tensor(np.arange(6.0).reshape(2, 3) / 7 - 0.3, dtype=dtype)


def params(L):
    return [L.nn.Parameter(L.tensor(np.ones(3)))] if L is torch else [tiny.nn.Parameter(tiny.tensor(np.ones(3)))]


def _opt(L, name, **kw):
    return getattr(L.optim, name)(params(L), **kw)


def _sched(L, name, **kw):
    return getattr(L.optim.lr_scheduler, name)(_opt(L, "SGD", lr=0.1), **kw)


def both(fn):
    """The same call on either library."""
    return fn, fn


def tiny_only(fn):
    return fn, None


ROWS = [  # (label, (tiny call, torch call or None), expected class, words the message must contain)
    # ----- creation -----
    ("tensor(None)", both(lambda L: L.tensor(None)), RuntimeError, ["tensor", "NoneType"]),
    ("tensor(['a'])", tiny_only(lambda L: L.tensor(["a"])), TypeError, ["tensor", "str"]),  # torch: ValueError
    ("tensor ragged [[1, 2], [3]]", both(lambda L: L.tensor([[1, 2], [3]])), ValueError, ["tensor", "length 2", "got 1"]),
    ("tensor([1, 'a'])", both(lambda L: L.tensor([1, "a"])), TypeError, ["tensor", "str"]),
    ("tensor({1: 2})", both(lambda L: L.tensor({1: 2})), RuntimeError, ["tensor", "dict"]),
    ("tensor(dtype='float99')", both(lambda L: L.tensor([1.0], dtype="float99")), TypeError, ["float99"]),
    ("tensor([1, None])", both(lambda L: L.tensor([1, None])), (RuntimeError, TypeError), ["tensor", "NoneType"]),
    ("tensor([1, 2], requires_grad=True) (int)", both(lambda L: L.tensor([1, 2], requires_grad=True)), RuntimeError,
     ["floating point", "int64"]),
    ("zeros(-1)", both(lambda L: L.zeros(-1)), RuntimeError, ["negative dimension -1"]),
    ("ones((2, -3))", both(lambda L: L.ones((2, -3))), RuntimeError, ["negative dimension -3"]),
    ("empty(-2)", both(lambda L: L.empty(-2)), RuntimeError, ["negative dimension -2"]),
    ("zeros(2.5)", both(lambda L: L.zeros(2.5)), TypeError, ["zeros", "float"]),
    ("randn(2.5)", both(lambda L: L.randn(2.5)), TypeError, ["randn", "float"]),
    ("full((2,), 'x')", both(lambda L: L.full((2,), "x")), TypeError, ["full", "str"]),
    ("arange(0, 10, 0)", both(lambda L: L.arange(0, 10, 0)), RuntimeError, ["arange", "step must be nonzero"]),
    ("arange(10, 0, 1)", both(lambda L: L.arange(10, 0, 1)), RuntimeError, ["arange", "inconsistent with step sign"]),
    # ----- arithmetic, matmul, comparisons -----
    ("(2, 3) + (4,)", both(lambda L: x23(L) + L.tensor(np.ones(4))), RuntimeError, ["(2, 3)", "(4,)"]),
    ("(2, 3) * (2, 2)", both(lambda L: x23(L) * L.tensor(np.ones((2, 2)))), RuntimeError, ["(2, 3)", "(2, 2)"]),
    ("(2, 3) < (3, 2)", both(lambda L: x23(L) < L.tensor(np.ones((3, 2)))), RuntimeError, ["(2, 3)", "(3, 2)"]),
    ("x + 'a'", both(lambda L: x23(L) + "a"), TypeError, ["add", "str"]),
    ("x * [1, 2, 3] (a list)", both(lambda L: x23(L).mul([1, 2, 3])), TypeError, ["mul", "list"]),
    ("matmul (2, 3) @ (2, 3)", both(lambda L: x23(L) @ x23(L)), RuntimeError, ["matmul", "(2, 3)", "3", "2"]),
    ("matmul int64 @ float64", both(lambda L: L.tensor(np.ones((2, 2), np.int64)) @ L.tensor(np.ones((2, 2)))),
     RuntimeError, ["matmul", "int64", "float64"]),
    ("matmul float32 @ float64", both(lambda L: L.tensor(np.ones((2, 2), np.float32)) @ L.tensor(np.ones((2, 2)))),
     RuntimeError, ["matmul", "float32", "float64"]),
    ("matmul of a 0-d tensor", both(lambda L: L.tensor(2.0) @ x23(L)), RuntimeError, ["matmul", "1D", "()"]),
    ("batched matmul (2, 2, 3) @ (3, 4, 2)", both(lambda L: L.tensor(np.ones((2, 2, 3))) @ L.tensor(np.ones((3, 4, 2)))),
     RuntimeError, ["matmul", "(2, 2, 3)", "(3, 4, 2)"]),
    ("int64 ** -1", both(lambda L: L.tensor([2, 3]) ** -1), RuntimeError, ["negative integer powers"]),
    ("pow (2, 3) ** (4,)", both(lambda L: x23(L).abs().pow(L.tensor(np.ones(4)))), RuntimeError, ["(2, 3)", "(4,)"]),
    ("div(rounding_mode='round')", both(lambda L: x23(L).div(2, rounding_mode="round")), RuntimeError,
     ["rounding_mode", "round"]),
    ("int div(rounding_mode='floor') by 0", both(lambda L: L.div(L.tensor([5]), 0, rounding_mode="floor")),
     RuntimeError, ["ZeroDivisionError"]),
    # ----- shapes -----
    ("reshape(4, 2) of 6 elements", both(lambda L: x23(L).reshape(4, 2)), RuntimeError, ["[4, 2]", "6"]),
    ("reshape(-1, -1)", both(lambda L: x23(L).reshape(-1, -1)), RuntimeError, ["only one dimension can be inferred"]),
    ("view(5)", both(lambda L: x23(L).view(5)), RuntimeError, ["[5]", "6"]),
    ("reshape('a')", both(lambda L: x23(L).reshape("a")), TypeError, ["reshape", "str"]),
    ("transpose(0, 5)", both(lambda L: x23(L).transpose(0, 5)), IndexError, ["out of range", "5"]),
    ("permute(0, 0)", both(lambda L: x23(L).permute(0, 0)), RuntimeError, ["permute", "repeated"]),
    ("permute(0)", both(lambda L: x23(L).permute(0)), RuntimeError, ["permute", "number of dims"]),
    ("unsqueeze(4)", both(lambda L: x23(L).unsqueeze(4)), IndexError, ["out of range", "4"]),
    ("squeeze(3)", both(lambda L: x23(L).squeeze(3)), IndexError, ["out of range", "3"]),
    ("flatten(1, 0)", both(lambda L: x23(L).flatten(1, 0)), RuntimeError, ["flatten", "start_dim"]),
    ("expand(3, 3)", both(lambda L: x23(L).expand(3, 3)), RuntimeError, ["expand", "3", "2"]),
    ("expand(3) (fewer dims)", both(lambda L: x23(L).expand(3)), RuntimeError, ["expand", "number of sizes"]),
    ("size(5)", both(lambda L: x23(L).size(5)), IndexError, ["out of range", "5"]),
    ("len() of a 0-d tensor", both(lambda L: len(L.tensor(1.0))), TypeError, ["0-d"]),
    # ----- reductions -----
    ("sum(dim=2)", both(lambda L: x23(L).sum(dim=2)), IndexError, ["out of range", "2"]),
    ("sum(dim=(0, 0))", both(lambda L: x23(L).sum(dim=(0, 0))), RuntimeError, ["appears multiple times"]),
    ("sum(dim=1.5)", both(lambda L: x23(L).sum(dim=1.5)), TypeError, ["sum", "float"]),
    ("mean() of int64", both(lambda L: L.tensor([1, 2]).mean()), RuntimeError, ["mean", "int64"]),
    ("var() of int64", both(lambda L: L.tensor([1, 2]).var()), RuntimeError, ["var", "int64"]),
    ("var(dim=5)", both(lambda L: x23(L).var(dim=5)), IndexError, ["out of range", "5"]),
    ("var(unbiased=True, correction=0)", both(lambda L: x23(L).var(0, unbiased=True, correction=0)), TypeError,
     ["unbiased", "correction"]),
    ("std(unbiased='yes')", both(lambda L: x23(L).std(0, unbiased="yes")), TypeError, ["std", "unbiased", "str"]),
    ("max(dim=2)", both(lambda L: x23(L).max(dim=2)), IndexError, ["out of range", "2"]),
    ("max() of an empty tensor", both(lambda L: L.zeros((0, 3)).max()), RuntimeError, ["max", "empty", "(0, 3)"]),
    ("argmax(dim=3)", both(lambda L: x23(L).argmax(dim=3)), IndexError, ["out of range", "3"]),
    ("max(other) not broadcastable", both(lambda L: x23(L).max(L.tensor(np.ones(4)))), RuntimeError,
     ["(2, 3)", "(4,)"]),
    # ----- indexing, masks, joins -----
    ("x[5]", both(lambda L: x23(L)[5]), IndexError, ["index 5", "size 2"]),
    ("x[0, 0, 0]", both(lambda L: x23(L)[0, 0, 0]), IndexError, ["too many indices"]),
    ("x[float index tensor]", both(lambda L: x23(L)[L.tensor([0.5])]), IndexError, ["long, int, byte or bool"]),
    ("x[bool mask of the wrong shape]", both(lambda L: x23(L)[L.tensor([True, False, True])]), IndexError,
     ["getitem", "(2, 3)", "True, False"]),
    ("masked_fill(int mask)", both(lambda L: x23(L).masked_fill(L.tensor([1, 0, 1]), 0.0)), RuntimeError,
     ["masked_fill", "bool"]),
    ("masked_fill(mask (4, 3))", both(lambda L: x23(L).masked_fill(L.tensor(np.ones((4, 3), bool)), 0.0)),
     RuntimeError, ["(4, 3)", "(2, 3)"]),
    ("masked_fill(value 1-d tensor)", both(lambda L: x23(L).masked_fill(L.tensor([True, False, True]),
                                                                      L.tensor([1.0, 2.0]))), RuntimeError,
     ["masked_fill", "0-dim"]),
    ("where(float condition)", both(lambda L: L.where(x23(L), x23(L), 0.0)), RuntimeError, ["where", "bool"]),
    ("where(condition (2, 3), x, y (4,))", both(lambda L: L.where(x23(L) > 0, x23(L), L.tensor(np.ones(4)))),
     RuntimeError, ["(2, 3)", "(4,)"]),
    ("cat([])", both(lambda L: L.cat([])), ValueError, ["cat", "non-empty"]),
    ("cat (2, 3) with (2, 4) on dim 0", both(lambda L: L.cat([x23(L), L.tensor(np.ones((2, 4)))])), RuntimeError,
     ["cat", "(2, 3)", "(2, 4)", "dimension 0"]),
    ("cat(dim=2)", both(lambda L: L.cat([x23(L), x23(L)], dim=2)), IndexError, ["out of range", "2"]),
    ("stack([])", both(lambda L: L.stack([])), RuntimeError, ["stack", "non-empty"]),
    ("cat([x, 5])", both(lambda L: L.cat([x23(L), 5])), TypeError, ["cat", "int"]),
    ("stack (2, 3) with (3, 2)", both(lambda L: L.stack([x23(L), L.tensor(np.ones((3, 2)))])), RuntimeError,
     ["stack", "(2, 3)", "(3, 2)"]),
    ("clamp() without bounds", both(lambda L: x23(L).clamp()), RuntimeError, ["clamp", "min", "max"]),
    ("clamp(min='a')", both(lambda L: x23(L).clamp(min="a")), TypeError, ["clamp", "str"]),
    ("clamp(Tensor (4,))", both(lambda L: x23(L).clamp(L.tensor(np.ones(4)))), RuntimeError, ["(2, 3)", "(4,)"]),
    # ----- Tensor protocol and autograd -----
    ("item() of 6 elements", both(lambda L: x23(L).item()), RuntimeError, ["item", "6"]),
    ("bool() of 6 elements", both(lambda L: bool(x23(L))), RuntimeError, ["ambiguous"]),
    ("backward() of a non-scalar", both(lambda L: (x23(L).requires_grad_() * 2).backward()), RuntimeError,
     ["implicitly created only for scalar"]),
    ("backward() without grad", both(lambda L: x23(L).sum().backward()), RuntimeError, ["does not require grad"]),
    ("numpy() of a tensor requiring grad", both(lambda L: x23(L).requires_grad_().numpy()), RuntimeError,
     ["numpy", "requires grad"]),
    ("fill_ on a leaf requiring grad", both(lambda L: x23(L).requires_grad_().fill_(0.0)), RuntimeError,
     ["leaf Variable that requires grad", "in-place"]),
    ("backward after an in-place write", both(lambda L: (lambda z: (lambda loss: (z.zero_(), loss.backward()))(
        z.sum()))(x23(L).requires_grad_().exp())), RuntimeError, ["modified by an inplace operation", "version 1"]),
    ("requires_grad_ on int64", both(lambda L: L.tensor([1, 2]).requires_grad_()), RuntimeError,
     ["floating point", "int64"]),
    # ----- nn modules and functionals -----
    ("Linear(-1, 4)", both(lambda L: L.nn.Linear(-1, 4)), RuntimeError, ["Linear", "-1"]),
    ("Linear(3.5, 4)", both(lambda L: L.nn.Linear(3.5, 4)), TypeError, ["Linear", "float"]),
    ("Linear(3, 4)(input (2, 5))", both(lambda L: L.nn.Linear(3, 4)(L.tensor(np.ones((2, 5), np.float32)))),
     RuntimeError, ["(2, 5)", "3"]),
    ("Linear(3, 4)(int64 input)", both(lambda L: L.nn.Linear(3, 4)(L.tensor(np.ones((2, 3), np.int64)))),
     RuntimeError, ["int64", "float32"]),
    ("Embedding(10, 4)(id 10)", both(lambda L: L.nn.Embedding(10, 4)(L.tensor([10]))), IndexError,
     ["embedding", "index 10", "num_embeddings=10"]),
    ("Embedding(10, 4)(float ids)", both(lambda L: L.nn.Embedding(10, 4)(L.tensor([1.0]))), RuntimeError,
     ["indices", "Long"]),
    ("Embedding(-1, 4)", both(lambda L: L.nn.Embedding(-1, 4)), RuntimeError, ["negative dimension -1"]),
    ("LayerNorm(4)(input (2, 3))", both(lambda L: L.nn.LayerNorm(4)(L.tensor(np.ones((2, 3), np.float32)))),
     RuntimeError, ["normalized_shape", "[4]", "[2, 3]"]),
    ("BatchNorm1d(3)(input (2, 4))", both(lambda L: L.nn.BatchNorm1d(3)(L.tensor(np.ones((2, 4), np.float32)))),
     RuntimeError, ["3", "4"]),
    ("Dropout(p=1.5)", both(lambda L: L.nn.Dropout(p=1.5)), ValueError, ["dropout probability", "1.5"]),
    ("dropout(p=-0.1)", both(lambda L: L.nn.functional.dropout(x23(L), p=-0.1)), ValueError,
     ["dropout probability", "-0.1"]),
    ("softmax(dim=3)", both(lambda L: L.nn.functional.softmax(x23(L), dim=3)), IndexError, ["out of range", "3"]),
    ("log_softmax of int64", both(lambda L: L.nn.functional.log_softmax(L.tensor([1, 2]), dim=0)), RuntimeError,
     ["log_softmax", "int64"]),
    ("gelu(approximate='sigmoid')", both(lambda L: L.nn.functional.gelu(x23(L), approximate="sigmoid")),
     RuntimeError, ["approximate", "none or tanh"]),
    ("relu('a')", both(lambda L: L.nn.functional.relu("a")), TypeError, ["relu", "str"]),
    ("linear(x, weight (4, 5))", both(lambda L: L.nn.functional.linear(x23(L), L.tensor(np.ones((4, 5))))),
     RuntimeError, ["(2, 3)", "(4, 5)"]),
    ("scaled_dot_product_attention E mismatch", both(lambda L: L.nn.functional.scaled_dot_product_attention(
        L.tensor(np.ones((2, 3, 4))), L.tensor(np.ones((2, 3, 5))), L.tensor(np.ones((2, 3, 5))))),
     RuntimeError, ["(2, 3, 4)", "(2, 3, 5)"]),
    ("Sequential(1)", both(lambda L: L.nn.Sequential(1)), TypeError, ["Sequential", "int"]),
    ("load_state_dict: missing key", both(lambda L: L.nn.Linear(3, 4).load_state_dict(
        {"weight": L.tensor(np.ones((4, 3), np.float32))})), RuntimeError, ["Missing key", "bias"]),
    ("load_state_dict: unexpected key", both(lambda L: L.nn.Linear(3, 4, bias=False).load_state_dict(
        {"weight": L.tensor(np.ones((4, 3), np.float32)), "extra": L.tensor(1.0)})), RuntimeError,
     ["Unexpected key", "extra"]),
    ("load_state_dict: wrong shape", both(lambda L: L.nn.Linear(3, 4, bias=False).load_state_dict(
        {"weight": L.tensor(np.ones((3, 4), np.float32))})), RuntimeError, ["size mismatch", "weight", "(3, 4)", "(4, 3)"]),
    # ----- losses -----
    ("cross_entropy batch mismatch", both(lambda L: L.nn.functional.cross_entropy(x23(L), L.tensor([0, 1, 2]))),
     ValueError, ["batch_size", "2", "3"]),
    ("cross_entropy target 5 of 3 classes", both(lambda L: L.nn.functional.cross_entropy(x23(L), L.tensor([0, 5]))),
     IndexError, ["Target 5", "out of bounds"]),
    ("cross_entropy(reduction='avg')", both(lambda L: L.nn.functional.cross_entropy(x23(L), L.tensor([0, 1]),
                                                                                  reduction="avg")),
     ValueError, ["avg", "reduction"]),
    ("cross_entropy(label_smoothing=1.5)", both(lambda L: L.nn.functional.cross_entropy(
        x23(L), L.tensor([0, 1]), label_smoothing=1.5)), RuntimeError, ["label_smoothing", "1.5"]),
    ("nll_loss(float target)", both(lambda L: L.nn.functional.nll_loss(x23(L), L.tensor([0.0, 1.0]))), RuntimeError,
     ["nll_loss", "int64", "float32"]),
    ("mse_loss (2, 3) vs (3, 2)", both(lambda L: L.nn.functional.mse_loss(x23(L), L.tensor(np.ones((3, 2))))),
     RuntimeError, ["(2, 3)", "(3, 2)"]),
    ("binary_cross_entropy input 1.5", both(lambda L: L.nn.functional.binary_cross_entropy(
        L.tensor([1.5]), L.tensor([1.0]))), RuntimeError, ["between 0 and 1"]),
    ("binary_cross_entropy_with_logits target (2,)", both(lambda L: L.nn.functional.binary_cross_entropy_with_logits(
        x23(L), L.tensor([1.0, 0.0]))), ValueError, ["Target size", "(2,)", "(2, 3)"]),
    # ----- optimizers and schedulers -----
    ("SGD(lr=-0.1)", both(lambda L: _opt(L, "SGD", lr=-0.1)), ValueError, ["learning rate", "-0.1"]),
    ("SGD(momentum=-1)", both(lambda L: _opt(L, "SGD", lr=0.1, momentum=-1)), ValueError, ["momentum", "-1"]),
    ("SGD([])", both(lambda L: L.optim.SGD([], lr=0.1)), ValueError, ["empty parameter list"]),
    ("SGD(nesterov=True) without momentum", both(lambda L: _opt(L, "SGD", lr=0.1, nesterov=True)), ValueError,
     ["Nesterov", "momentum"]),
    ("SGD(a tensor as params)", both(lambda L: L.optim.SGD(x23(L), lr=0.1)), TypeError, ["iterable", "Tensor"]),
    ("Adam(betas=(1.5, 0.9))", both(lambda L: _opt(L, "Adam", betas=(1.5, 0.9))), ValueError, ["beta", "1.5"]),
    ("Adam(eps=-1)", both(lambda L: _opt(L, "Adam", eps=-1)), ValueError, ["epsilon", "-1"]),
    ("AdamW(weight_decay=-1)", both(lambda L: _opt(L, "AdamW", weight_decay=-1)), ValueError, ["weight_decay", "-1"]),
    ("RMSprop(alpha=-1)", both(lambda L: _opt(L, "RMSprop", alpha=-1)), ValueError, ["alpha", "-1"]),
    ("optimizer.load_state_dict(other groups)", both(lambda L: _opt(L, "SGD", lr=0.1).load_state_dict(
        {"state": {}, "param_groups": []})), ValueError, ["parameter groups"]),
    # torch accepts step_size=0 / T_max=0 and fails later with ZeroDivisionError in step(); tiny refuses up front
    ("StepLR(step_size=0)", tiny_only(lambda L: _sched(L, "StepLR", step_size=0)), ValueError, ["StepLR", "step_size", "0"]),
    ("CosineAnnealingLR(T_max=0)", tiny_only(lambda L: _sched(L, "CosineAnnealingLR", T_max=0)), ValueError,
     ["CosineAnnealingLR", "T_max", "0"]),
    ("LinearLR(start_factor=0)", both(lambda L: _sched(L, "LinearLR", start_factor=0)), ValueError,
     ["start", "factor"]),
    ("LambdaLR(lr_lambda='x')", both(lambda L: _sched(L, "LambdaLR", lr_lambda="x")), TypeError,
     ["LambdaLR", "lr_lambda", "str"]),
    # ----- data -----
    ("DataLoader(batch_size=0)", both(lambda L: L.utils.data.DataLoader([1, 2], batch_size=0) if L is torch else
                                      tiny.data.DataLoader([1, 2], batch_size=0)), ValueError,
     ["batch_size", "positive integer", "0"]),
    ("DataLoader(batch_size=2.5)", both(lambda L: L.utils.data.DataLoader([1, 2], batch_size=2.5) if L is torch else
                                        tiny.data.DataLoader([1, 2], batch_size=2.5)), ValueError,
     ["batch_size", "2.5"]),
    ("random_split lengths [2, 2] of 3", both(lambda L: (L.utils.data if L is torch else tiny.data).random_split(
        [1, 2, 3], [2, 2])), ValueError, ["lengths", "length of the input dataset"]),
    ("TensorDataset sizes 3 and 4", both(lambda L: (L.utils.data if L is torch else tiny.data).TensorDataset(
        L.tensor(np.ones(3)), L.tensor(np.ones(4)))), AssertionError, ["Size mismatch", "(3,)", "(4,)"]),
    # ----- tokenizers and checkpoints (no torch twin) -----
    ("CharTokenizer encode an unknown char", tiny_only(lambda L: tiny.text.CharTokenizer("ab").encode("abz")),
     ValueError, ["CharTokenizer.encode", "'z'", "vocabulary"]),
    ("CharTokenizer decode id 7 of 2", tiny_only(lambda L: tiny.text.CharTokenizer("ab").decode([0, 7])), ValueError,
     ["CharTokenizer.decode", "7", "[0, 2)"]),
    ("BPETokenizer.train(vocab_size=10)", tiny_only(lambda L: tiny.text.BPETokenizer().train("abc", 10)), ValueError,
     ["vocab_size", "10", "256"]),
    ("BPETokenizer decode id 999999", tiny_only(lambda L: tiny.text.BPETokenizer().decode([999999])), ValueError,
     ["999999"]),
    ("CharTokenizer.load(truncated file)", tiny_only(lambda L: tiny.text.CharTokenizer.load(_truncated("char.json"))),
     ValueError, ["char.json"]),
    ("BPETokenizer.load(truncated file)", tiny_only(lambda L: tiny.text.BPETokenizer.load(_truncated("bpe.json"))),
     ValueError, ["bpe.json"]),
    ("CharTokenizer.load(missing file)", tiny_only(lambda L: tiny.text.CharTokenizer.load("/nonexistent/tok.json")),
     FileNotFoundError, ["/nonexistent/tok.json"]),
    ("load_checkpoint(truncated model.npz)", tiny_only(lambda L: _truncated_checkpoint()), ValueError, ["model.npz"]),
    ("load_checkpoint(missing directory)", tiny_only(lambda L: _load_checkpoint("/nonexistent/ckpt")),
     FileNotFoundError, ["/nonexistent/ckpt"]),
    # ----- GPT and generate -----
    ("GPTConfig(d_model=8, n_head=3)", tiny_only(lambda L: _gpt(n_head=3)), ValueError, ["d_model", "8", "n_head", "3"]),
    ("GPTConfig(vocab_size=0)", tiny_only(lambda L: _gpt(vocab_size=0)), ValueError, ["vocab_size", "0"]),
    ("GPT(float idx)", tiny_only(lambda L: _gpt()(tiny.tensor(np.zeros((1, 2))))), RuntimeError, ["idx", "float64"]),
    ("GPT(idx longer than the context)", tiny_only(lambda L: _gpt()(tiny.tensor(np.zeros((1, 9), np.int64)))),
     ValueError, ["9", "context_length", "8"]),
    ("GPT(token id 11 of 11)", tiny_only(lambda L: _gpt()(tiny.tensor(np.full((1, 2), 11)))), IndexError,
     ["11", "vocab_size"]),
    ("generate(seed='abc')", tiny_only(lambda L: _generate(seed="abc")), TypeError, ["generate", "seed", "abc"]),
    ("generate(seed=1.5)", tiny_only(lambda L: _generate(seed=1.5)), TypeError, ["generate", "seed", "1.5"]),
    ("generate(temperature=-1)", tiny_only(lambda L: _generate(temperature=-1.0)), ValueError, ["temperature", "-1"]),
    ("generate(top_k=0)", tiny_only(lambda L: _generate(top_k=0)), ValueError, ["top_k", "0"]),
    ("generate(1-D idx)", tiny_only(lambda L: tiny.generation.generate(_gpt(), tiny.tensor([1, 2]), 2)), ValueError,
     ["idx", "(2,)"]),
    ("generate(use_cache='yes')", tiny_only(lambda L: _generate(use_cache="yes")), TypeError, ["use_cache", "yes"]),
    # ----- the CLIs -----
    ("difftests --case-timeout 0", tiny_only(lambda L: _cli("difftests", "--case-timeout", "0")), "UsageError",
     ["--case-timeout", "0"]),
    ("difftests --case-timeout -1", tiny_only(lambda L: _cli("difftests", "--case-timeout", "-1")), "UsageError",
     ["--case-timeout", "-1"]),
    ("difftests -n bogus", tiny_only(lambda L: _cli("difftests", "-n", "bogus")), "UsageError", ["-n", "bogus"]),
    ("difftests --area tensr", tiny_only(lambda L: _cli("difftests", "--area", "tensr")), "UsageError",
     ["--area", "tensr", "tensor"]),
    ("difftests --pair sumx", tiny_only(lambda L: _cli("difftests", "--pair", "sumx")), "UsageError",
     ["--pair", "sumx"]),
    ("difftests show nosuchpair", tiny_only(lambda L: _cli("difftests", "show", "nosuchpair")), "UsageError",
     ["nosuchpair"]),
    ("perf nosuchreport", tiny_only(lambda L: _cli("perf", "nosuchreport")), "UsageError", ["nosuchreport"]),
    ("milestones run nosuchmilestone", tiny_only(lambda L: _cli("milestones", "run", "nosuchmilestone")), "UsageError",
     ["nosuchmilestone"]),
]

TMP: dict = {}


def _truncated(name: str) -> str:
    """A tokenizer file cut in half (as a crash during save would leave it)."""
    directory = TMP["dir"]
    tokenizer = tiny.text.CharTokenizer.from_text("hello") if name.startswith("char") else tiny.text.BPETokenizer()
    path = directory / name
    tokenizer.save(path)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
    return str(path)


def _load_checkpoint(directory):
    sys.path.insert(0, str(ROOT))
    from milestones.checkpoint import load_checkpoint
    return load_checkpoint(directory)


def _truncated_checkpoint():
    from milestones.checkpoint import save_checkpoint
    directory = TMP["dir"] / "ckpt"
    save_checkpoint(directory, _gpt(), tiny.text.CharTokenizer("abcdefghijk"))
    data = (directory / "model.npz").read_bytes()
    (directory / "model.npz").write_bytes(data[: len(data) // 2])
    return _load_checkpoint(directory)


def _gpt(**overrides):
    config = {"vocab_size": 11, "context_length": 8, "n_layer": 1, "n_head": 2, "d_model": 8, **overrides}
    return tiny.models.GPT(tiny.models.GPTConfig(**config))


def _generate(**options):
    return tiny.generation.generate(_gpt(), tiny.tensor(np.zeros((1, 2), np.int64)), 2, **options)


class UsageError(Exception):
    """A CLI exited with status 2 (argparse's usage error); the message is its output."""


def _cli(module: str, *args: str):
    """Run `python -m module args` (a short timeout: a bad flag must fail fast):
    UsageError with its output when the exit status is 2 (a usage error), an AssertionError otherwise."""
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode == 2:
        raise UsageError(output[-600:])
    raise AssertionError(f"python -m {module} {' '.join(args)} exited {proc.returncode}, not 2 (a usage "
                         f"error):\n{output[-600:]}")


@pytest.fixture(autouse=True)
def _tmp_dir(tmp_path):
    TMP["dir"] = tmp_path
    yield


def _outside_numpy(exc: BaseException) -> bool:
    """The error was raised by tiny (or the tool), not by NumPy or Python deep inside."""
    frames = traceback.extract_tb(exc.__traceback__)
    return not frames or "site-packages/numpy" not in frames[-1].filename


@pytest.mark.parametrize("label,calls,expected,words", ROWS, ids=[row[0] for row in ROWS])
def test_bad_call_raises_a_clear_error(label, calls, expected, words):
    tiny_call, torch_call = calls
    expected = UsageError if expected == "UsageError" else expected
    if torch_call is not None:
        with pytest.raises(Exception) as theirs:
            torch_call(torch)
        assert isinstance(theirs.value, expected), f"the table is wrong: torch raises {theirs.type.__name__}"
    with pytest.raises(Exception) as mine:
        tiny_call(tiny)
    exc = mine.value
    message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    assert isinstance(exc, expected), f"{label}: raised {type(exc).__name__}: {message}; expected {expected.__name__}"
    assert _outside_numpy(exc), f"{label}: a bare NumPy error: {message}"
    missing = [w for w in words if w.lower() not in message.lower()]
    assert not missing, f"{label}: the message should name {missing}: {message}"


def test_the_sweep_is_large():
    assert len(ROWS) >= 100
