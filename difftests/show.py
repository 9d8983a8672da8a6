"""`python -m difftests show NAME`: a pair's from-scratch code beside its torch twin, with the
difference measured on its named edge cases."""
from __future__ import annotations

import importlib
import inspect
import os
import shutil
import textwrap

from difftests.registry import Pair, get


def _resolve(dotted: str):
    module_name, _, qualname = dotted.partition(":")
    obj = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def source_of(dotted: str) -> tuple[str, str]:
    """(location, source) of "module:qualname"; properties show their getter."""
    obj = _resolve(dotted)
    target = obj.fget if isinstance(obj, property) else obj
    try:
        lines, start = inspect.getsourcelines(target)
        path = inspect.getsourcefile(target) or dotted
    except (TypeError, OSError):
        return dotted, f"(no source available for {dotted})"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return f"{os.path.relpath(path, root)}:{start}", "".join(lines)


def side_by_side(left: str, right: str, left_title: str, right_title: str, width: int) -> str:
    column = max(30, (width - 3) // 2)

    def wrap(text: str) -> list[str]:
        out = []
        for line in text.expandtabs(4).splitlines() or [""]:
            out += textwrap.wrap(line, column, drop_whitespace=False, replace_whitespace=False) or [""]
        return out
    a, b = [left_title, "-" * column] + wrap(left), [right_title, "-" * column] + wrap(right)
    rows = max(len(a), len(b))
    a += [""] * (rows - len(a))
    b += [""] * (rows - len(b))
    return "\n".join(f"{x:<{column}} | {y}" for x, y in zip(a, b))


def measure(pair: Pair) -> list[str]:
    """Worst forward and gradient differences of tiny vs torch over the named edge cases."""
    from difftests.executor import InProcessExecutor
    from difftests.harness import check_case

    executor = InProcessExecutor("tiny")
    lines = []
    for dtype in ("float64", "float32"):
        cases = pair.examples(dtype)
        results = [check_case(pair, case, executor, dtype) for case in cases]
        passed = sum(r.passed for r in results)
        fwd = max((r.forward_error for r in results if r.passed), default=0.0)
        grad = max((r.gradient_error for r in results if r.passed), default=0.0)
        rtol, atol = pair.tol(dtype)
        lines.append(f"{dtype}: {passed}/{len(cases)} edge cases agree with torch; worst |Δ| forward "
                     f"{fwd:.3g}, gradients {grad:.3g} (tolerance rtol {rtol:g}, atol {atol:g})")
    if pair.tolerance_reason:
        lines.append(f"tolerance note: {pair.tolerance_reason}")
    return lines


def close_names(name: str) -> list[str]:
    """Pair names (and region ids) that look like `name`, for "did you mean"."""
    import difflib

    from difftests.registry import all_pairs

    names = [p.name for p in all_pairs()]
    lowered = {n.lower(): n for n in names}
    contains = [n for n in names if name.lower() in n.lower()][:6]
    return contains or [lowered[c] for c in difflib.get_close_matches(name.lower(), list(lowered), n=5, cutoff=0.5)]


def show(name: str) -> int:
    """Print the implementation's code (the `tiny` importable from the current directory: in a student
    kit that is the student's own package, never the solution) beside the torch twin."""
    import sys

    try:
        pair = get(name)
    except KeyError:
        close = close_names(name)
        print(f"error: no pair named {name!r}" + (f"; did you mean: {', '.join(close)}?" if close else
                                                  "; `python -m difftests list` shows them all"), file=sys.stderr)
        return 2
    width = shutil.get_terminal_size((160, 40)).columns
    tiny_where, tiny_src = source_of(pair.source)
    ref_where, ref_src = source_of(pair.ref)
    print(f"pair {pair.name} (area {pair.area})\n")
    print(side_by_side(tiny_src, ref_src, f"your tiny  {tiny_where}", f"torch twin  {ref_where}", width))
    print()
    try:
        lines = measure(pair)
    except NotImplementedError as exc:
        lines = [f"not implemented yet: {exc}"]
    except Exception as exc:  # noqa: BLE001 — the student's code raising is a result to show
        lines = [f"running it raised {type(exc).__name__}: {exc}"]
    for line in lines:
        print(line)
    return 0
