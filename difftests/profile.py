"""Course profiles: what a course grades (areas, pairs, dtypes, features) and how many points it is worth.

A profile is a small TOML file passed as `python -m difftests --profile FILE`:

    name = "hw2-autograd"
    areas = ["tensor", "autograd"]        # default: every area
    pairs = ["add", "sum", "test_chain_rule"]   # pairs or behaviour tests; default: all of the areas
    dtypes = ["float32"]                  # default: ["float64", "float32"]
    exclude_features = ["amsgrad", "reduction='none'"]   # cases needing these are not run
    partial_credit = true
    visibility = "visible"                # Gradescope: hidden | after_due_date | after_published | visible

    [points]                              # per area; default 10 for every area present
    tensor = 30
    autograd = 20

    [pair_points]                         # optional: weight of single pairs inside their area
    matmul = 3

Unknown keys, areas, pairs, dtypes or features are an error that names them and the close matches.
The older `--weights` JSON ({"areas": {...}, "partial_credit": ..., "visibility": ...}) folds into a
profile with `profile_from_weights`.
"""
from __future__ import annotations

import difflib
import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from difftests.registry import AREAS

DTYPES = ("float64", "float32")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
KEYS = ("name", "areas", "pairs", "dtypes", "exclude_features", "partial_credit", "visibility", "points",
        "pair_points")


class ProfileError(ValueError):
    """A profile file that does not say something the runner can do."""


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    areas: tuple[str, ...] | None = None       # None = every area
    pairs: tuple[str, ...] | None = None       # None = every pair/test of the selected areas
    dtypes: tuple[str, ...] = ("float64", "float32")
    exclude_features: tuple[str, ...] = ()
    area_points: dict[str, float] | None = None   # None = 10 per area present
    pair_points: dict[str, float] | None = None  # optional per-pair override
    partial_credit: bool = True
    visibility: str = "visible"

    def selects(self, area: str, unit: str, dtype: str | None = None) -> bool:
        """Whether the pair or behaviour test `unit` of `area` (as a `dtype` test) is in scope."""
        if self.areas is not None and area not in self.areas:
            return False
        if self.pairs is not None and unit not in self.pairs:
            return False
        return dtype is None or dtype in self.dtypes

    def excludes(self, features) -> bool:
        """Whether a case needing `features` is out of scope: an excluded feature, or a dtype (also of
        an input: a float64 input in a float32 test) the profile does not grade."""
        out = set(self.exclude_features) | (set(DTYPES) - set(self.dtypes))
        return bool(out & set(features))

    def weights(self) -> dict:
        """The dict form grading.py's scoring reads."""
        return {"areas": None if self.area_points is None else dict(self.area_points),
                "pair_points": None if self.pair_points is None else dict(self.pair_points),
                "partial_credit": self.partial_credit, "visibility": self.visibility, "profile": self.name}


DEFAULT = Profile()


def _unknown(path: str, what: str, names, known) -> None:
    known = sorted(set(known))
    bad = [n for n in names if n not in known]
    if bad:
        hints = []
        for n in bad:
            close = difflib.get_close_matches(str(n), known, n=3)
            hints.append(f"{n!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
        raise ProfileError(f"{path}: unknown {what}: {'; '.join(hints)}")


def _strings(path: str, key: str, value) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProfileError(f"{path}: '{key}' must be a list of strings, got {value!r}")
    return tuple(value)


def _points(path: str, key: str, value) -> dict[str, float]:
    if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              and v >= 0 for v in value.values()):
        raise ProfileError(f"{path}: [{key}] must map names to non-negative numbers, got {value!r}")
    return {str(k): float(v) for k, v in value.items()}


@lru_cache(maxsize=1)
def known_units() -> dict[str, str]:
    """Every pair and behaviour test name, with its area."""
    from difftests.registry import all_pairs
    units = {p.name: p.area for p in all_pairs()}
    units.update(behaviour_tests())
    return units


@lru_cache(maxsize=1)
def behaviour_tests() -> dict[str, str]:
    """test function name -> area, read from the difftests' test files (their area_X marks)."""
    import os
    import re
    here = os.path.dirname(os.path.abspath(__file__))
    tests: dict[str, str] = {}
    for name in sorted(os.listdir(here)):
        if not (name.startswith("test_") and name.endswith(".py")) or name == "test_pairs.py":
            continue
        with open(os.path.join(here, name)) as f:
            text = f.read()
        mark = re.search(r"pytest\.mark\.area_(\w+)", text)
        area = mark.group(1) if mark else "other"
        for test in re.findall(r"^def (test_\w+)", text, flags=re.M):
            tests[test] = area
    return tests


@lru_cache(maxsize=1)
def known_features() -> frozenset[str]:
    """Every feature a named edge case of some pair needs (see difftests/features.py)."""
    from difftests.features import case_features
    from difftests.registry import all_pairs
    found: set[str] = set(DTYPES)
    for pair in all_pairs():
        for dtype in DTYPES:
            try:
                for case in pair.examples(dtype):
                    found.update(case_features(case, dtype, pair))
            except Exception:  # noqa: BLE001 — a pair whose examples cannot be built lists no features
                continue
    return frozenset(found)


def load_profile(path: str) -> Profile:
    """Read and check a TOML profile; errors name the file, the key and close matches."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML ({exc})") from None
    return profile_from_dict(data, path)


def profile_from_dict(data: dict, path: str = "<profile>") -> Profile:
    _unknown(path, "keys", list(data), KEYS)
    fields: dict = {}
    if "name" in data:
        if not isinstance(data["name"], str):
            raise ProfileError(f"{path}: 'name' must be a string")
        fields["name"] = data["name"]
    if "areas" in data:
        fields["areas"] = _strings(path, "areas", data["areas"])
        _unknown(path, "areas", fields["areas"], AREAS)
    if "pairs" in data:
        fields["pairs"] = _strings(path, "pairs", data["pairs"])
        _unknown(path, "pairs", fields["pairs"], known_units())
    if "dtypes" in data:
        fields["dtypes"] = _strings(path, "dtypes", data["dtypes"])
        _unknown(path, "dtypes", fields["dtypes"], DTYPES)
        if not fields["dtypes"]:
            raise ProfileError(f"{path}: 'dtypes' must name at least one of {list(DTYPES)}")
    if "exclude_features" in data:
        fields["exclude_features"] = _strings(path, "exclude_features", data["exclude_features"])
        _unknown(path, "features", fields["exclude_features"], known_features())
    if "partial_credit" in data:
        if not isinstance(data["partial_credit"], bool):
            raise ProfileError(f"{path}: 'partial_credit' must be true or false")
        fields["partial_credit"] = data["partial_credit"]
    if "visibility" in data:
        if data["visibility"] not in VISIBILITIES:
            close = difflib.get_close_matches(str(data["visibility"]), VISIBILITIES, n=2)
            raise ProfileError(f"{path}: 'visibility' must be one of {list(VISIBILITIES)}"
                               + (f" (did you mean {close[0]!r}?)" if close else ""))
        fields["visibility"] = data["visibility"]
    if "points" in data:
        fields["area_points"] = _points(path, "points", data["points"])
        _unknown(path, "areas in [points]", fields["area_points"], AREAS)
    if "pair_points" in data:
        fields["pair_points"] = _points(path, "pair_points", data["pair_points"])
        _unknown(path, "pairs in [pair_points]", fields["pair_points"], known_units())
    return Profile(**fields)


def profile_from_weights(path: str) -> Profile:
    """The `--weights` JSON file ({"areas": {area: points}, "partial_credit", "visibility"}) as a profile
    that grades exactly those areas."""
    try:
        with open(path) as f:
            weights = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the weights file ({exc})") from None
    if not isinstance(weights, dict):
        raise ProfileError(f"{path}: a weights file is a JSON object")
    _unknown(path, "keys", list(weights), ("areas", "partial_credit", "visibility"))
    areas = weights.get("areas")
    if not isinstance(areas, dict):
        raise ProfileError(f"{path}: 'areas' must map area names to non-negative points")
    data = {"name": path, "points": areas,
            **{k: weights[k] for k in ("partial_credit", "visibility") if k in weights}}
    return profile_from_dict(data, path)
