"""torch's own OpInfo samples, run through the implementation's public Tensor API and compared with torch.

    python tools/opinfo_sweep.py [--impl tiny] [--dtype float64 float32] [--op NAME ...] [-v]

For every OpInfo in torch.testing._internal.common_methods_invocations.op_db whose name is an op of the
contract (OPS below), every sample of `sample_inputs` (float64 and float32 by default) is converted to the
implementation's tensors and called the way torch calls it: the Tensor method when the OpInfo has a method
variant and the contract lists one, else the top-level function. A sample agrees when torch and the
implementation both raise (any exception), or both return: the same shape, dtype and values (float64 1e-7,
float32 1e-5 relative and absolute) and, for float outputs, the same gradients for every float input that
requires grad, driven by one random upstream gradient. float32 is judged relative to the largest magnitude
of the tensor (atol = 1e-5 * max|torch|): a gradient summed over a broadcast dim carries float32 rounding of
its largest terms (measured: pow's exponent gradient, 1e-7 of 2e8, as torch's own float32 error vs float64). Anything else is a disagreement, listed with the
sample (-v: every one). Prints per op, then the total; exit status 1 below --target (default 0.99).
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections import Counter, defaultdict

from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's tiny, not an installed one

# OpInfo name -> (method name on the Tensor, or None; function name on the module, or None)
OPS = {
    "abs": ("abs", "abs"), "add": ("add", "add"), "sub": ("sub", "sub"), "mul": ("mul", "mul"),
    "div": ("div", "div"), "neg": ("neg", "neg"), "pow": ("pow", "pow"), "matmul": ("matmul", "matmul"),
    "exp": ("exp", "exp"), "log": ("log", "log"), "sqrt": ("sqrt", "sqrt"), "tanh": ("tanh", "tanh"),
    "sigmoid": ("sigmoid", "sigmoid"), "nn.functional.relu": (None, "nn.functional.relu"),
    "clamp": ("clamp", "clamp"), "clamp_min": ("clamp_min", None), "clamp_max": ("clamp_max", None),
    "sum": ("sum", "sum"), "mean": ("mean", "mean"), "var": ("var", "var"), "std": ("std", "std"),
    "max": ("max", "max"), "min": ("min", "min"), "argmax": ("argmax", "argmax"), "argmin": ("argmin", "argmin"),
    "reshape": ("reshape", "reshape"), "view": ("view", None), "permute": ("permute", "permute"),
    "transpose": ("transpose", "transpose"), "unsqueeze": ("unsqueeze", "unsqueeze"),
    "squeeze": ("squeeze", "squeeze"), "flatten": ("flatten", "flatten"), "expand": ("expand", None),
    "masked_fill": ("masked_fill", "masked_fill"), "where": (None, "where"), "cat": (None, "cat"),
    "stack": (None, "stack"), "eq": ("eq", "eq"), "ne": ("ne", "ne"), "lt": ("lt", "lt"), "le": ("le", "le"),
    "gt": ("gt", "gt"), "ge": ("ge", "ge"), "__getitem__": ("__getitem__", None), "__radd__": ("__radd__", None),
    "__rsub__": ("__rsub__", None), "__rmul__": ("__rmul__", None), "__rdiv__": ("__rtruediv__", None),
    "__rpow__": ("__rpow__", None), "__rmatmul__": ("__rmatmul__", None), "T": ("T", None), "mT": ("mT", None),
}
TOLERANCE = {torch.float64: 1e-7, torch.float32: 1e-5}


def to_impl(lib, value):
    """torch values -> the implementation's: tensors via NumPy (requiring grad as torch's do), dtypes by name,
    containers recursively."""
    if isinstance(value, torch.Tensor):
        return lib.tensor(value.detach().numpy().copy(), requires_grad=value.requires_grad)
    if isinstance(value, torch.dtype):
        return getattr(lib, str(value).removeprefix("torch."))
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_impl(lib, v) for v in value)
    if isinstance(value, dict):
        return {k: to_impl(lib, v) for k, v in value.items()}
    return value


def tensors_in(value) -> list:
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors_in(v)]
    return [value] if hasattr(value, "grad") else []


def call(lib, opinfo, sample, impl_side: bool):
    """Run one sample; returns (outputs as a list, float inputs requiring grad as a list)."""
    method, function = OPS[opinfo.name]
    if impl_side:
        inp, args, kwargs = to_impl(lib, sample.input), to_impl(lib, sample.args), to_impl(lib, sample.kwargs)
        tensor_args = tensors_in(args)
    else:
        inp, args, kwargs = sample.input, sample.args, sample.kwargs
    use_method = method is not None and (opinfo.method_variant is not None or function is None) and \
        not isinstance(inp, (list, tuple))
    if impl_side:
        if opinfo.name == "where":  # OpInfo's where is (self, condition, other) -> where(condition, self, other)
            out = lib.where(args[0], inp, *args[1:], **kwargs)
        elif use_method:
            attribute = getattr(inp, method)
            out = attribute if method in ("T", "mT") else attribute(*args, **kwargs)
        else:
            target = lib
            for part in function.split("."):
                target = getattr(target, part)
            out = target(inp, *args, **kwargs)
        leaves = [t for t in tensors_in([inp]) + tensor_args if getattr(t, "requires_grad", False)]
    else:
        out = (getattr(inp, method) if method in ("T", "mT") else getattr(inp, method)(*args, **kwargs)) \
            if use_method else opinfo.op(inp, *args, **kwargs)
        leaves = [t for t in tensors_in([inp, args]) if isinstance(t, torch.Tensor) and t.requires_grad]
    return (list(out) if isinstance(out, tuple) else [out]), leaves


def as_array(t) -> np.ndarray:
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    data = getattr(t, "data", t)
    return np.asarray(data)


def close(got: np.ndarray, want: np.ndarray, dtype) -> bool:
    tol = TOLERANCE[dtype]
    scale = float(np.nanmax(np.abs(np.where(np.isfinite(want), want, 0)), initial=0.0)) if want.size else 0.0
    atol = tol * max(scale, 1.0) if dtype == torch.float32 else tol
    return got.shape == want.shape and np.allclose(got, want, rtol=tol, atol=atol, equal_nan=True)


def compare(lib, opinfo, sample, dtype) -> str | None:
    """None when the sample agrees, else why not."""
    try:
        want, torch_leaves = call(lib, opinfo, sample, impl_side=False)
    except Exception as exc:  # noqa: BLE001
        try:
            call(lib, opinfo, sample, impl_side=True)
        except Exception:  # noqa: BLE001
            return None
        return f"torch raises {type(exc).__name__}: {str(exc)[:80]}; the implementation returns"
    try:
        got, impl_leaves = call(lib, opinfo, sample, impl_side=True)
    except Exception as exc:  # noqa: BLE001
        return f"raises {type(exc).__name__}: {str(exc)[:160]}"
    if len(got) != len(want):
        return f"{len(got)} outputs, torch {len(want)}"
    for g, w in zip(got, want):
        g_arr, w_arr = as_array(g), as_array(w)
        if g_arr.shape != tuple(w.shape) or str(g_arr.dtype) != str(w.dtype).removeprefix("torch."):
            return f"output {g_arr.dtype}{list(g_arr.shape)}, torch {w.dtype}{list(w.shape)}"
        if not close(g_arr, w_arr, dtype):
            return f"values differ by {np.nanmax(np.abs(g_arr.astype(float) - w_arr.astype(float))):.3g}"
    return compare_gradients(lib, got, want, impl_leaves, torch_leaves, dtype)


def compare_gradients(lib, got, want, impl_leaves, torch_leaves, dtype) -> str | None:
    differentiable = [(g, w) for g, w in zip(got, want) if w.is_floating_point() and w.requires_grad]
    if not differentiable or not torch_leaves:
        return None
    rng = np.random.default_rng(0)
    upstream = [rng.standard_normal(tuple(w.shape)).astype(str(w.dtype).removeprefix("torch.")) for _, w in
                differentiable]
    torch_grads = torch.autograd.grad([w for _, w in differentiable], torch_leaves,
                                      [torch.from_numpy(u) for u in upstream], allow_unused=True)
    try:
        total = None
        for (g, _), u in zip(differentiable, upstream):
            term = (g * lib.tensor(u)).sum()
            total = term if total is None else total + term
        total.backward()
    except Exception as exc:  # noqa: BLE001
        return f"backward raises {type(exc).__name__}: {str(exc)[:160]}"
    if len(impl_leaves) != len(torch_leaves):
        return f"{len(impl_leaves)} inputs require grad, torch {len(torch_leaves)}"
    for i, (leaf, want_grad) in enumerate(zip(impl_leaves, torch_grads)):
        want_arr = np.zeros(tuple(leaf.shape)) if want_grad is None else want_grad.numpy()
        got_arr = np.zeros(tuple(leaf.shape)) if leaf.grad is None else as_array(leaf.grad)
        if not close(got_arr, want_arr, dtype):
            return f"gradient of input {i} differs"
    return None


def sweep(lib, dtypes: list, only: set | None, verbose: bool) -> tuple[int, int]:
    from torch.testing._internal.common_methods_invocations import op_db
    totals, failures = Counter(), defaultdict(list)
    for opinfo in op_db:
        if opinfo.name not in OPS or (only and opinfo.name not in only):
            continue
        label = opinfo.name + (f".{opinfo.variant_test_name}" if opinfo.variant_test_name else "")
        for dtype in dtypes:
            if dtype not in opinfo.supported_dtypes("cpu"):
                continue
            for sample in opinfo.sample_inputs("cpu", dtype, requires_grad=opinfo.supports_autograd):
                totals[label] += 1
                why = compare(lib, opinfo, sample, dtype)
                if why is not None:
                    failures[label].append(f"{dtype}: {sample.summary() if hasattr(sample, 'summary') else ''}"
                                           f"{describe(sample)} -> {why}")
    agreed = sum(totals.values()) - sum(len(f) for f in failures.values())
    for label in sorted(totals):
        bad = failures.get(label, [])
        print(f"{label:32s} {totals[label] - len(bad):4d}/{totals[label]:<4d}" + (f"  e.g. {bad[0]}" if bad else ""))
        for line in bad[1:] if verbose else []:
            print(f"{'':38s}{line}")
    return agreed, sum(totals.values())


def describe(sample) -> str:
    def short(v):
        if isinstance(v, torch.Tensor):
            return f"T{list(v.shape)}"
        if isinstance(v, (list, tuple)):
            return "(" + ", ".join(short(x) for x in v) + ")"
        return repr(v)
    kwargs = ", ".join(f"{k}={short(v)}" for k, v in sample.kwargs.items())
    return f"input {short(sample.input)}, args {short(sample.args)}" + (f", {kwargs}" if kwargs else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/opinfo_sweep.py", description=__doc__.split("\n")[0])
    parser.add_argument("--impl", default="tiny", help="the implementation's module name (default tiny)")
    parser.add_argument("--dtype", nargs="+", default=["float64", "float32"])
    parser.add_argument("--op", nargs="*", help="only these OpInfo names")
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    lib = importlib.import_module(args.impl)
    agreed, total = sweep(lib, [getattr(torch, d) for d in args.dtype], set(args.op or ()), args.verbose)
    print(f"\nOpInfo samples agreeing: {agreed}/{total} = {100 * agreed / max(total, 1):.1f} %")
    return 0 if agreed >= args.target * total else 1


if __name__ == "__main__":
    sys.exit(main())
