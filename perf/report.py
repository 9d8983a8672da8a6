"""The combined performance report: every section's tables, figures and numbers in one Markdown + JSON.

`python -m perf --out DIR` writes DIR/report.md, DIR/report.json and DIR/<section>.png. The header gives what
the numbers depend on: the machine, NumPy's BLAS and torch's build, the thread settings in force (both sides
pinned to one thread), the load average, and the settings of the run. Each section comes from a module in
perf/__main__.py's SECTIONS registry with run(quick, repeats, progress) -> dict, tables(dict) -> str and
plot(dict, path); a section that fails is reported as failed and the others still run.
"""
from __future__ import annotations

import datetime
import os
import platform


def environment(threads: dict) -> dict:
    import numpy
    import torch

    from perf.common import machine
    info = {**machine(), "machine": platform.machine(), "processor": platform.processor() or "unknown",
            "torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
            "torch_blas": _torch_blas(torch), "numpy_blas": _numpy_blas(numpy), "threads_in_force": threads,
            "environment": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                           "MKL_NUM_THREADS")}}
    return info


def _numpy_blas(numpy) -> str:
    try:
        config = numpy.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy: no dict mode
        return "unknown"


def _torch_blas(torch) -> str:
    """BLAS_INFO / LAPACK_INFO / USE_MKLDNN of torch's build settings, e.g. "BLAS_INFO=mkl, LAPACK_INFO=mkl"."""
    import re
    text = torch.__config__.show()
    found = [m.group(0) for key in ("BLAS_INFO", "LAPACK_INFO", "USE_MKLDNN")
             for m in [re.search(rf"{key}=[^,\s]+", text)] if m]
    return ", ".join(found) or "unknown"


def markdown(results: dict, env: dict, settings: dict, images: dict) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# tiny vs torch: combined performance report", "",
             f"Generated {now} by `python -m perf {settings['argv']}`. Every ratio is tiny / torch measured in the "
             "same run, on the same inputs, medians with their spread; speed is measured here, never asserted in "
             "tests.", "", "## Machine and settings", "", "| | |", "|---|---|"]
    for key in ("platform", "machine", "cpu_count", "load_average_1min", "python", "numpy", "numpy_blas", "torch",
                "torch_blas", "torch_threads", "torch_interop_threads"):
        lines.append(f"| {key} | {env.get(key)} |")
    lines.append(f"| threads in force | {', '.join(f'{k}: {v}' for k, v in env['threads_in_force'].items())} |")
    lines.append(f"| environment | {', '.join(f'{k}={v}' for k, v in env['environment'].items())} |")
    lines.append(f"| run | quick={settings['quick']}, repeats={settings['repeats'] or 'per section default'} |")
    for name, result in results.items():
        lines += ["", f"## {name}", ""]
        if "__error__" in result:
            lines += [f"**failed**: `{result['__error__']}`"]
            continue
        if name in images:
            lines += [f"![{name}]({images[name]})", ""]
        lines += ["```", result["__tables__"], "```"]
    return "\n".join(lines) + "\n"
