"""Course profiles: which areas/pairs a run grades, in which dtypes, for how many points.

STAND-IN written on branch `course` with exactly the interface of the course-profile format (owned by
the `accounting` branch); at merge that branch's `difftests/profile.py` replaces this file.

A profile is a TOML file with top-level keys `name`, `areas`, `pairs`, `dtypes`, `exclude_features`,
`partial_credit`, `visibility`, and the tables `[points]` (area -> points) and `[pair_points]`
(pair -> points).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    areas: tuple[str, ...] | None = None
    pairs: tuple[str, ...] | None = None
    dtypes: tuple[str, ...] = ("float64", "float32")
    exclude_features: tuple[str, ...] = ()
    area_points: dict[str, float] | None = None
    pair_points: dict[str, float] | None = None
    partial_credit: bool = True
    visibility: str = "visible"


def _tuple(value, key: str, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: {key!r} must be a list of strings, got {value!r}")
    return tuple(value)


def profile_from_dict(data: dict, where: str = "profile") -> Profile:
    """A Profile from the parsed TOML table (see the module docstring for the keys)."""
    known = {"name", "areas", "pairs", "dtypes", "exclude_features", "partial_credit", "visibility",
             "points", "pair_points"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; known: {sorted(known)}")
    visibility = data.get("visibility", "visible")
    if visibility not in VISIBILITIES:
        raise ValueError(f"{where}: visibility must be one of {list(VISIBILITIES)}, got {visibility!r}")
    for key in ("points", "pair_points"):
        table = data.get(key)
        if table is not None and not (isinstance(table, dict) and all(
                isinstance(v, (int, float)) and v >= 0 for v in table.values())):
            raise ValueError(f"{where}: [{key}] must map names to non-negative numbers")
    return Profile(name=str(data.get("name", "default")), areas=_tuple(data.get("areas"), "areas", where),
                   pairs=_tuple(data.get("pairs"), "pairs", where),
                   dtypes=_tuple(data.get("dtypes", ["float64", "float32"]), "dtypes", where),
                   exclude_features=_tuple(data.get("exclude_features", []), "exclude_features", where),
                   area_points=dict(data["points"]) if "points" in data else None,
                   pair_points=dict(data["pair_points"]) if "pair_points" in data else None,
                   partial_credit=bool(data.get("partial_credit", True)), visibility=visibility)


def load_profile(path: str) -> Profile:
    with open(path, "rb") as f:
        return profile_from_dict(tomllib.load(f), path)
