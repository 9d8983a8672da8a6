"""Every call form torch accepts for the public Tensor API, tried on the implementation and on torch.

    python tools/signature_sweep.py [--impl tiny] [--markdown docs/api_signatures.md]

Each FORMS entry is a call written once for both libraries (`lib` is tiny or torch; x, y are (2, 3) float64
tensors, m a bool mask, i an int64 tensor). Per form: "supported" (same shape, dtype and values as torch),
"not supported: <the error>" (torch returns, the implementation raises — the error must say what is not
supported), "differs" (both return, results differ), or "raises like torch" (both raise). Exit status 1
when a form differs or a raised error is unclear (a bare NumPy/Python message without the op's name).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FORMS = [  # (op, call form as text, lambda lib, x, y, m, i: ...)
    ("add", "x.add(y)", lambda L, x, y, m, i: x.add(y)), ("add", "x.add(2.5)", lambda L, x, y, m, i: x.add(2.5)),
    ("add", "x.add(y, alpha=2)", lambda L, x, y, m, i: x.add(y, alpha=2)),
    ("add", "lib.add(x, y)", lambda L, x, y, m, i: L.add(x, y)), ("add", "2 + x", lambda L, x, y, m, i: 2 + x),
    ("add", "x + i (float + int tensor)", lambda L, x, y, m, i: x + i),
    ("sub", "x.sub(y, alpha=0.5)", lambda L, x, y, m, i: x.sub(y, alpha=0.5)), ("sub", "1 - x", lambda L, x, y, m, i: 1 - x),
    ("mul", "x.mul(3)", lambda L, x, y, m, i: x.mul(3)), ("mul", "x * m (bool tensor)", lambda L, x, y, m, i: x * m),
    ("div", "x.div(y)", lambda L, x, y, m, i: x.div(y)), ("div", "i / 2 (int true division)", lambda L, x, y, m, i: i / 2),
    ("div", "x.div(y, rounding_mode='floor')", lambda L, x, y, m, i: x.div(y, rounding_mode="floor")),
    ("div", "lib.div(i, 2, rounding_mode='trunc')", lambda L, x, y, m, i: L.div(i, 2, rounding_mode="trunc")),
    ("pow", "x.pow(2)", lambda L, x, y, m, i: x.pow(2)), ("pow", "x.abs() ** y", lambda L, x, y, m, i: x.abs() ** y),
    ("pow", "lib.pow(2, x)", lambda L, x, y, m, i: L.pow(2, x)), ("pow", "2 ** x", lambda L, x, y, m, i: 2 ** x),
    ("neg", "-x / x.neg() / lib.neg(x)", lambda L, x, y, m, i: (-x, x.neg(), L.neg(x))[2]),
    ("matmul", "x @ y.T", lambda L, x, y, m, i: x @ y.T), ("matmul", "lib.matmul(x, y.T)", lambda L, x, y, m, i: L.matmul(x, y.T)),
    ("matmul", "x.matmul(y[0]) (matrix @ vector)", lambda L, x, y, m, i: x.matmul(y[0])),
    ("exp", "x.exp() / lib.exp(x)", lambda L, x, y, m, i: L.exp(x) + x.exp()),
    ("log", "x.abs().log()", lambda L, x, y, m, i: x.abs().log()), ("sqrt", "lib.sqrt(x.abs())", lambda L, x, y, m, i: L.sqrt(x.abs())),
    ("tanh/sigmoid/relu", "x.tanh() + x.sigmoid() + x.relu()", lambda L, x, y, m, i: x.tanh() + x.sigmoid() + x.relu()),
    ("exp", "lib.exp(i) (int -> float)", lambda L, x, y, m, i: L.exp(i)),
    ("clamp", "x.clamp(0)", lambda L, x, y, m, i: x.clamp(0)), ("clamp", "x.clamp(max=0.5)", lambda L, x, y, m, i: x.clamp(max=0.5)),
    ("clamp", "x.clamp(-0.5, 0.5)", lambda L, x, y, m, i: x.clamp(-0.5, 0.5)),
    ("clamp", "x.clamp(y, y + 1) (Tensor bounds)", lambda L, x, y, m, i: x.clamp(y, y + 1)),
    ("clamp", "x.clamp(min=y[0]) (broadcast bound)", lambda L, x, y, m, i: x.clamp(min=y[0])),
    ("clamp", "lib.clamp(x, y)", lambda L, x, y, m, i: L.clamp(x, y)),
    ("clamp", "i.clamp(0.5) (int promoted)", lambda L, x, y, m, i: i.clamp(0.5)),
    ("clamp_min", "x.clamp_min(0.1)", lambda L, x, y, m, i: x.clamp_min(0.1)),
    ("clamp_max", "x.clamp_max(y)", lambda L, x, y, m, i: x.clamp_max(y)),
    ("sum", "x.sum()", lambda L, x, y, m, i: x.sum()), ("sum", "x.sum(0)", lambda L, x, y, m, i: x.sum(0)),
    ("sum", "x.sum(dim=-1, keepdim=True)", lambda L, x, y, m, i: x.sum(dim=-1, keepdim=True)),
    ("sum", "x.sum((0, 1))", lambda L, x, y, m, i: x.sum((0, 1))), ("sum", "x.sum([0, 1])", lambda L, x, y, m, i: x.sum([0, 1])),
    ("sum", "x.sum(dim=None)", lambda L, x, y, m, i: x.sum(dim=None)), ("sum", "x.sum(1, True)", lambda L, x, y, m, i: x.sum(1, True)),
    ("sum", "m.sum() (bool -> int64)", lambda L, x, y, m, i: m.sum()), ("sum", "lib.sum(x, 1)", lambda L, x, y, m, i: L.sum(x, 1)),
    ("sum", "x.sum(dtype=lib.float32)", lambda L, x, y, m, i: x.sum(dtype=L.float32)),
    ("sum", "i.sum(0, dtype=lib.float64)", lambda L, x, y, m, i: i.sum(0, dtype=L.float64)),
    ("mean", "i.mean(dtype=lib.float64)", lambda L, x, y, m, i: i.mean(dtype=L.float64)),
    ("mean", "x.mean()", lambda L, x, y, m, i: x.mean()), ("mean", "x.mean((0, 1), keepdim=True)",
                                                           lambda L, x, y, m, i: x.mean((0, 1), keepdim=True)),
    ("mean", "x.mean(dim=None)", lambda L, x, y, m, i: x.mean(dim=None)),
    ("var", "x.var()", lambda L, x, y, m, i: x.var()), ("var", "x.var(0)", lambda L, x, y, m, i: x.var(0)),
    ("var", "x.var(False) (legacy var(unbiased))", lambda L, x, y, m, i: x.var(False)),
    ("var", "x.var(0, False)", lambda L, x, y, m, i: x.var(0, False)),
    ("var", "x.var(dim=1, unbiased=True, keepdim=True)", lambda L, x, y, m, i: x.var(dim=1, unbiased=True, keepdim=True)),
    ("var", "x.var((0, 1), correction=0)", lambda L, x, y, m, i: x.var((0, 1), correction=0)),
    ("var", "x.var(dim=None, correction=2)", lambda L, x, y, m, i: x.var(dim=None, correction=2)),
    ("var", "lib.var(x, 1)", lambda L, x, y, m, i: L.var(x, 1)),
    ("std", "x.std()", lambda L, x, y, m, i: x.std()), ("std", "x.std(True)", lambda L, x, y, m, i: x.std(True)),
    ("std", "x.std(1, keepdim=True)", lambda L, x, y, m, i: x.std(1, keepdim=True)),
    ("std", "lib.std(x, (0, 1), correction=0)", lambda L, x, y, m, i: L.std(x, (0, 1), correction=0)),
    ("max", "x.max()", lambda L, x, y, m, i: x.max()), ("max", "x.max(0) (values, indices)", lambda L, x, y, m, i: x.max(0)),
    ("max", "x.max(dim=1, keepdim=True)", lambda L, x, y, m, i: x.max(dim=1, keepdim=True)),
    ("max", "x.max(y) (elementwise)", lambda L, x, y, m, i: x.max(y)), ("max", "lib.max(x, y)", lambda L, x, y, m, i: L.max(x, y)),
    ("max", "x.max(0).values", lambda L, x, y, m, i: x.max(0).values), ("max", "x.max(dim=(0, 1))", lambda L, x, y, m, i: x.max(dim=(0, 1))),
    ("min", "x.min(1)", lambda L, x, y, m, i: x.min(1)), ("min", "lib.min(x, y)", lambda L, x, y, m, i: L.min(x, y)),
    ("argmax", "x.argmax()", lambda L, x, y, m, i: x.argmax()), ("argmax", "x.argmax(1, True)", lambda L, x, y, m, i: x.argmax(1, True)),
    ("argmax", "x.argmax(dim=None, keepdim=True)", lambda L, x, y, m, i: x.argmax(dim=None, keepdim=True)),
    ("argmin", "lib.argmin(x, dim=0)", lambda L, x, y, m, i: L.argmin(x, dim=0)),
    ("reshape", "x.reshape(3, 2)", lambda L, x, y, m, i: x.reshape(3, 2)), ("reshape", "x.reshape((3, 2))", lambda L, x, y, m, i: x.reshape((3, 2))),
    ("reshape", "x.reshape([-1])", lambda L, x, y, m, i: x.reshape([-1])), ("reshape", "lib.reshape(x, (6,))", lambda L, x, y, m, i: L.reshape(x, (6,))),
    ("view", "x.view(-1, 2)", lambda L, x, y, m, i: x.view(-1, 2)), ("view", "x.view((6,))", lambda L, x, y, m, i: x.view((6,))),
    ("transpose", "x.transpose(0, 1)", lambda L, x, y, m, i: x.transpose(0, 1)), ("transpose", "lib.transpose(x, -1, -2)",
                                                                                   lambda L, x, y, m, i: L.transpose(x, -1, -2)),
    ("permute", "x.permute(1, 0)", lambda L, x, y, m, i: x.permute(1, 0)), ("permute", "x.permute((1, 0))", lambda L, x, y, m, i: x.permute((1, 0))),
    ("permute", "lib.permute(x, (1, 0))", lambda L, x, y, m, i: L.permute(x, (1, 0))),
    ("unsqueeze", "x.unsqueeze(-1)", lambda L, x, y, m, i: x.unsqueeze(-1)),
    ("squeeze", "x[:1].squeeze()", lambda L, x, y, m, i: x[:1].squeeze()), ("squeeze", "x[:1].squeeze(0)", lambda L, x, y, m, i: x[:1].squeeze(0)),
    ("squeeze", "x[:1, :1].squeeze((0, 1))", lambda L, x, y, m, i: x[:1, :1].squeeze((0, 1))),
    ("flatten", "x.flatten()", lambda L, x, y, m, i: x.flatten()), ("flatten", "lib.flatten(x, 0, -1)", lambda L, x, y, m, i: L.flatten(x, 0, -1)),
    ("expand", "x[:1].expand(4, 3)", lambda L, x, y, m, i: x[:1].expand(4, 3)), ("expand", "x[:1].expand((4, -1))",
                                                                                  lambda L, x, y, m, i: x[:1].expand((4, -1))),
    ("T / mT", "x.T, x.mT", lambda L, x, y, m, i: x.T + x.mT),
    ("masked_fill", "x.masked_fill(m, 0.0)", lambda L, x, y, m, i: x.masked_fill(m, 0.0)),
    ("masked_fill", "x.masked_fill(m, lib.tensor(-1.0))", lambda L, x, y, m, i: x.masked_fill(m, L.tensor(-1.0))),
    ("masked_fill", "x[0].masked_fill(m, 1.0) (mask enlarges input)", lambda L, x, y, m, i: x[0].masked_fill(m, 1.0)),
    ("masked_fill", "lib.masked_fill(x, m[0], 2)", lambda L, x, y, m, i: L.masked_fill(x, m[0], 2)),
    ("where", "lib.where(m, x, y)", lambda L, x, y, m, i: L.where(m, x, y)), ("where", "lib.where(m, x, 0.0)",
                                                                               lambda L, x, y, m, i: L.where(m, x, 0.0)),
    ("where", "lib.where(m, 1.0, x)", lambda L, x, y, m, i: L.where(m, 1.0, x)),
    ("where", "lib.where(m) (nonzero form)", lambda L, x, y, m, i: L.where(m)),
    ("cat", "lib.cat([x, y])", lambda L, x, y, m, i: L.cat([x, y])), ("cat", "lib.cat((x, y), dim=1)", lambda L, x, y, m, i: L.cat((x, y), dim=1)),
    ("cat", "lib.cat([x, y], -1)", lambda L, x, y, m, i: L.cat([x, y], -1)),
    ("stack", "lib.stack([x, y])", lambda L, x, y, m, i: L.stack([x, y])), ("stack", "lib.stack((x, y), dim=-1)",
                                                                              lambda L, x, y, m, i: L.stack((x, y), dim=-1)),
    ("comparisons", "x < 0, x.ge(y), lib.eq(x, y), 0.5 > x", lambda L, x, y, m, i: (x < 0, x.ge(y), L.eq(x, y), 0.5 > x)),
    ("getitem", "x[0], x[:, 1:], x[..., None], x[-1, ::2]", lambda L, x, y, m, i: (x[0], x[:, 1:], x[..., None], x[-1, ::2])),
    ("getitem", "x[m] (bool mask)", lambda L, x, y, m, i: x[m]), ("getitem", "x[:, i[0].abs() - 1] (int64 index tensor)", lambda L, x, y, m, i: x[:, i[0].abs() - 1]),
    ("getitem", "x[[1, 0]] (list index)", lambda L, x, y, m, i: x[[1, 0]]),
    ("size", "x.size(), x.size(-1), x.dim(), x.numel()", lambda L, x, y, m, i: (tuple(x.size()), x.size(-1), x.dim(), x.numel())),
    ("item", "x[0, 0].item(), x.tolist()", lambda L, x, y, m, i: (x[0, 0].item(), x.tolist())),
]


def build(lib):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    m = np.array([[True, False, True], [False, False, True]])
    i = np.array([[1, -2, 3], [4, 5, -6]], np.int64)
    return [lib.tensor(v) for v in (x, y, m, i)]


def plain(value):
    if isinstance(value, (tuple, list)) and not isinstance(value, torch.Size):
        return [plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.numpy()
    if hasattr(value, "data") and isinstance(getattr(value, "data"), np.ndarray):
        return value.data
    return value


def same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(u, v) for u, v in zip(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.allclose(a, b, equal_nan=True)
    return a == b


def sweep(lib) -> list:
    rows = []
    for op, text, form in FORMS:
        try:
            want, theirs = plain(form(torch, *build(torch))), None
        except Exception as exc:  # noqa: BLE001
            want, theirs = None, exc
        try:
            got, mine = plain(form(lib, *build(lib))), None
        except Exception as exc:  # noqa: BLE001
            got, mine = None, exc
        if theirs is not None:
            verdict = "raises like torch" if mine is not None else f"returns; torch raises {type(theirs).__name__}"
        elif mine is not None:
            verdict = f"not supported: {type(mine).__name__}: {str(mine).splitlines()[0][:110]}"
        else:
            verdict = "supported" if same(got, want) else "differs from torch"
        rows.append((op, text, verdict))
    return rows


def markdown(rows: list) -> str:
    lines = ["| op | call form (x, y: float64 (2, 3); m: bool (2, 3); i: int64 (2, 3)) | tiny |", "|---|---|---|"]
    lines += [f"| {op} | `{text}` | {verdict.replace('|', '/')} |" for op, text, verdict in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/signature_sweep.py", description=__doc__.split("\n")[0])
    parser.add_argument("--impl", default="tiny")
    parser.add_argument("--markdown", help="write the table (markdown) to this file's marked section")
    args = parser.parse_args(argv)
    rows = sweep(importlib.import_module(args.impl))
    table = markdown(rows)
    print(table)
    if args.markdown:
        path = Path(args.markdown)
        text = path.read_text()
        start, end = "<!-- signature table: tools/signature_sweep.py -->", "<!-- end of signature table -->"
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        path.write_text(f"{head}{start}\n{table}\n{end}{tail}")
    bad = [r for r in rows if r[2].startswith(("differs", "returns;"))]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
