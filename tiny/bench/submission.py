"""Olympics submissions: a JSON document with a published schema (docs/olympics_submission.schema.json, the
same as SUBMISSION_SCHEMA), written by generate_submission and checked by validate_submission.

A submission names its two models — the baseline and the optimized one — so the leaderboard can re-measure
both (`python -m perf olympics DIR`); the numbers it reports are informative only. A model is either
    {"architecture": "MLP" | "LeNet5" | "Perceptron", "config": {...}, "weights": "file.npz", "input": "flat"}
(tiny.models' class with those constructor arguments and the state dict stored in an .npz next to the JSON,
read without pickle), optionally with "quantized": "dynamic_int8" | "dynamic_int8_per_channel" (the architecture
passed through tiny.quant.quantize_dynamic before its state dict is loaded: the .npz holds int8 codes, which must
be stored as int8), or {"builder": "file.py:function", "input": ...} (a function returning the model — submitted
code, run by whoever runs the leaderboard).
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from tiny.bench.events import OlympicEvent
from tiny.bench.scoring import calculate_normalized_scores

__all__ = ["SUBMISSION_SCHEMA", "SCHEMA_VERSION", "ValidationReport", "validate_submission", "generate_submission",
           "load_model", "SANITY_LIMITS"]

SCHEMA_VERSION = "tiny-olympics-submission/1"
ARCHITECTURES = ("MLP", "LeNet5", "Perceptron")
# "quantized": the architecture's Linear layers are tiny.quant.DynamicQuantizedLinear (int8 weights, one scale for
# the tensor or one per output row); the .npz then holds their int8 codes, scales and zero points.
QUANTIZED = {"dynamic_int8": False, "dynamic_int8_per_channel": True}     # value -> per_channel
# Above these a result is not believable (rejected) or suspicious (warned), whatever the event.
SANITY_LIMITS = {"max_speedup": 50.0, "warn_speedup": 20.0, "max_compression": 32.0, "warn_compression": 16.0,
                 "closed_max_accuracy_drop_pp": 1.0}

_NUMBER = {"type": "number"}
_MODEL = {
    "type": "object",
    "properties": {
        "architecture": {"enum": list(ARCHITECTURES)},
        "config": {"type": "object"},
        "weights": {"type": "string", "pattern": r"\.npz$"},
        "builder": {"type": "string", "pattern": r"^[^:]+\.py:[A-Za-z_][A-Za-z0-9_]*$"},
        "quantized": {"enum": list(QUANTIZED)},
        "input": {"enum": ["flat", "image"]},
    },
    "oneOf": [{"required": ["architecture", "config", "weights"], "not": {"required": ["builder"]}},
              {"required": ["builder"],
               "not": {"anyOf": [{"required": ["architecture"]}, {"required": ["quantized"]}]}}],
    "required": ["input"],
    "additionalProperties": False,
}
_METRICS = {
    "type": "object",
    "properties": {"latency_s": {"type": "number", "exclusiveMinimum": 0},
                   "memory_bytes": {"type": "integer", "exclusiveMinimum": 0},
                   "accuracy": {"type": "number", "minimum": 0, "maximum": 1}},
    "required": ["latency_s", "memory_bytes", "accuracy"],
    "additionalProperties": False,
}
SUBMISSION_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "tiny-olympics-submission/1",
    "title": "tiny Olympics submission",
    "type": "object",
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "team": {"type": "string", "minLength": 1},
        "event": {"enum": [e.value for e in OlympicEvent]},
        "division": {"enum": ["closed", "open"]},
        "repository": {"type": "string", "pattern": r"^(https?://|git@)\S+$"},
        "honor_code": {"type": "boolean"},
        "dataset": {"enum": ["digits", "mnist"]},
        "techniques": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "baseline": {"type": "object", "properties": {"model": _MODEL, "metrics": _METRICS},
                     "required": ["model", "metrics"], "additionalProperties": False},
        "optimized": {"type": "object", "properties": {"model": _MODEL, "metrics": _METRICS},
                      "required": ["model", "metrics"], "additionalProperties": False},
        "normalized": {"type": "object",
                       "properties": {k: _NUMBER for k in ("speedup", "compression_ratio", "accuracy_delta",
                                                           "efficiency", "accuracy")},
                       "required": ["speedup", "compression_ratio", "accuracy_delta", "efficiency"],
                       "additionalProperties": False},
        "environment": {"type": "object"},
        "notes": {"type": "string"},
    },
    "required": ["schema_version", "team", "event", "division", "repository", "honor_code", "dataset", "techniques",
                 "baseline", "optimized", "normalized"],
    "additionalProperties": False,
}


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"valid": self.valid, "errors": list(self.errors), "warnings": list(self.warnings)}


def _schema_errors(submission: dict) -> list[str]:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is a pinned test dependency
        return ["validate_submission needs jsonschema: pip install jsonschema==4.26.0"]
    validator = jsonschema.Draft202012Validator(SUBMISSION_SCHEMA)
    messages = []
    for error in sorted(validator.iter_errors(submission), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        messages.append(f"schema: {where}: {error.message}")
    return messages


def check_scores(scores: dict, division: str | None, event: str | None) -> tuple[list[str], list[str]]:
    """Sanity limits, the division's accuracy rule and the event's constraints on normalized scores."""
    errors, warnings = [], []
    speedup, compression, delta = scores["speedup"], scores["compression_ratio"], scores["accuracy_delta"]
    if speedup > SANITY_LIMITS["max_speedup"]:
        errors.append(f"speedup {speedup:.1f}x is above the {SANITY_LIMITS['max_speedup']:.0f}x sanity limit: "
                      "not believable for this model size; re-measure both models on the same machine")
    elif speedup > SANITY_LIMITS["warn_speedup"]:
        warnings.append(f"speedup {speedup:.1f}x is above {SANITY_LIMITS['warn_speedup']:.0f}x: unusually large")
    if compression > SANITY_LIMITS["max_compression"]:
        errors.append(f"compression {compression:.1f}x is above the {SANITY_LIMITS['max_compression']:.0f}x sanity "
                      "limit (fp32 -> 1-bit is 32x)")
    elif compression > SANITY_LIMITS["warn_compression"]:
        warnings.append(f"compression {compression:.1f}x is above {SANITY_LIMITS['warn_compression']:.0f}x: "
                        "unusually large")
    if division == "closed" and -delta > SANITY_LIMITS["closed_max_accuracy_drop_pp"]:
        errors.append(f"closed division: accuracy dropped {-delta:.2f} pp, more than the "
                      f"{SANITY_LIMITS['closed_max_accuracy_drop_pp']} pp allowed (submit to the open division)")
    if event is not None:
        try:
            errors += OlympicEvent.parse(event).rules.violations(scores)
        except ValueError as exc:
            errors.append(str(exc))
    return errors, warnings


def _consistency(submission: dict) -> tuple[list[str], list[str], dict | None]:
    """Recompute the normalized scores from the reported metrics; they must match the reported ones."""
    try:
        scores = calculate_normalized_scores(submission["baseline"]["metrics"], submission["optimized"]["metrics"])
    except (ValueError, KeyError, TypeError) as exc:
        return [f"metrics: {exc}"], [], None
    errors = []
    for key, value in submission.get("normalized", {}).items():
        if key in scores and isinstance(value, (int, float)) and not math.isclose(value, scores[key], rel_tol=1e-6,
                                                                                      abs_tol=1e-9):
            errors.append(f"normalized.{key} = {value} does not follow from the reported metrics ({scores[key]:.6g})")
    return errors, [], scores


def validate_submission(submission: Any) -> ValidationReport:
    """Every problem of a submission (a dict, or a path to its JSON) as specific messages; never raises."""
    report = ValidationReport()
    try:
        if isinstance(submission, (str, os.PathLike)):
            with open(submission) as f:
                submission = json.load(f)
        if not isinstance(submission, dict):
            report.errors.append(f"a submission is a JSON object, got {type(submission).__name__}")
            return report
        report.errors += _schema_errors(submission)
        if submission.get("honor_code") is not True:
            report.errors.append("honor_code must be true: the team affirms the work is its own and the numbers "
                                 "were measured, not edited")
        if not str(submission.get("repository", "")).strip():
            report.errors.append("repository is missing: link the code that produced the optimized model")
        errors, warnings, scores = _consistency(submission)
        report.errors += errors
        report.warnings += warnings
        if scores is not None:
            event = submission.get("event")
            errors, warnings = check_scores(scores, submission.get("division"), event if isinstance(event, str) else None)
            report.errors += errors
            report.warnings += warnings
    except Exception as exc:  # noqa: BLE001 - a broken file is a validation error, never a crash
        report.errors.append(f"could not read the submission: {type(exc).__name__}: {exc}")
    report.errors = list(dict.fromkeys(report.errors))
    return report


def generate_submission(path: str | os.PathLike, *, team: str, event: Any, division: str, repository: str,
                        honor_code: bool, dataset: str, baseline_model: dict, baseline_metrics: dict,
                        optimized_model: dict, optimized_metrics: dict, techniques: list[str],
                        environment: dict | None = None, notes: str = "") -> tuple[dict, ValidationReport]:
    """Write the submission JSON to `path` and return (submission, its ValidationReport). An invalid
    submission is not written: ValueError lists every error."""
    submission = {
        "schema_version": SCHEMA_VERSION, "team": team,
        "event": OlympicEvent.parse(event).value if isinstance(event, (str, OlympicEvent)) else event,
        "division": division, "repository": repository, "honor_code": honor_code, "dataset": dataset,
        "techniques": list(techniques),
        "baseline": {"model": baseline_model, "metrics": baseline_metrics},
        "optimized": {"model": optimized_model, "metrics": optimized_metrics},
        "normalized": calculate_normalized_scores(baseline_metrics, optimized_metrics),
        "environment": environment or {}, **({"notes": notes} if notes else {}),
    }
    report = validate_submission(submission)
    if not report.valid:
        raise ValueError("generate_submission: invalid submission:\n  " + "\n  ".join(report.errors))
    with open(path, "w") as f:
        json.dump(submission, f, indent=2)
        f.write("\n")
    return submission, report


def _inside(base_dir: str, relative: str, what: str) -> str:
    path = os.path.realpath(os.path.join(base_dir, relative))
    if os.path.commonpath([path, os.path.realpath(base_dir)]) != os.path.realpath(base_dir):
        raise ValueError(f"{what} {relative!r} points outside the submission's folder")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} {relative!r} not found in {base_dir}")
    return path


def _quantized(model: Any, kind: str) -> Any:
    """The architecture with every Linear replaced by a DynamicQuantizedLinear (weights loaded afterwards)."""
    from tiny.quant import quantize_dynamic
    if kind not in QUANTIZED:
        raise ValueError(f"unknown quantized kind {kind!r}; choose one of {list(QUANTIZED)}")
    return quantize_dynamic(model, per_channel=QUANTIZED[kind])


def _check_stored_dtypes(model: Any, state: dict, weights: str) -> None:
    """A quantized model's arrays must be stored with the model's own dtypes (int8 codes as int8): load_state_dict
    would otherwise cast float weights to int8 codes silently."""
    own = model.state_dict()
    wrong = [f"{key}: stored {state[key].dtype}, the model holds {own[key].data.dtype}"
             for key in own if key in state and state[key].dtype != own[key].data.dtype]
    if wrong:
        raise ValueError(f"weights {weights!r} do not match the quantized model's dtypes: " + "; ".join(wrong))


def load_model(spec: dict, base_dir: str) -> Any:
    """The model a submission's model spec names (see the module docstring), in eval mode."""
    import numpy as np

    import tiny

    if "builder" in spec:
        import importlib.util
        file, _, function = spec["builder"].partition(":")
        module_spec = importlib.util.spec_from_file_location(f"olympics_builder_{abs(hash(file))}",
                                                             _inside(base_dir, file, "builder"))
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        model = getattr(module, function)()
    else:
        if spec.get("architecture") not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {spec.get('architecture')!r}; choose one of {list(ARCHITECTURES)}")
        model = getattr(tiny.models, spec["architecture"])(**spec.get("config", {}))
        if "quantized" in spec:
            model = _quantized(model, spec["quantized"])
        with np.load(_inside(base_dir, spec["weights"], "weights"), allow_pickle=False) as arrays:
            state = {key: arrays[key] for key in arrays.files}
        if "quantized" in spec:
            _check_stored_dtypes(model, state, spec["weights"])
        model.load_state_dict({key: tiny.tensor(value) for key, value in state.items()})
    if hasattr(model, "eval"):
        model.eval()
    return model
