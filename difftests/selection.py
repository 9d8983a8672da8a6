"""What a run selects before pytest starts: the course profile, the property seed, the worker count."""
from __future__ import annotations

import secrets

from difftests.profile import DEFAULT, Profile, load_profile, profile_from_weights

SMALL_SELECTION = 12   # pairs: fewer than this run faster without an xdist pool (its start-up costs more)


def resolve_profile(profile_path: str | None, weights_path: str | None) -> Profile:
    """--profile FILE, or the --weights JSON folded into a profile, or the default (everything)."""
    if profile_path and weights_path:
        raise ValueError("give --profile or --weights, not both (a profile's [points] replaces the weights)")
    if profile_path:
        return load_profile(profile_path)
    if weights_path:  # the older per-area points JSON, or a profile given under the old flag
        return load_profile(weights_path) if weights_path.endswith(".toml") else profile_from_weights(weights_path)
    return DEFAULT


def resolve_seed(value: str | None, grading: bool) -> int | None:
    """None = the fixed (derandomized) property inputs. Grading runs (--gradescope) draw a fresh seed
    unless one is given, so the cases cannot be memorized; the seed is printed and stored in the report."""
    if value is None:
        value = "random" if grading else "fixed"
    if value == "fixed":
        return None
    if value == "random":
        return secrets.randbelow(2 ** 32)
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"error: --seed must be an integer, 'fixed' or 'random', not {value!r}") from None


def selected_pairs(pairs: list[str] | None, areas: list[str] | None, keyword: str | None,
                   profile: Profile) -> int:
    """How many pairs the selection holds (a pytest -k expression is matched against pair names)."""
    from difftests.registry import all_pairs
    chosen = [p for p in all_pairs() if profile.selects(p.area, p.name)]
    if pairs:
        chosen = [p for p in chosen if p.name in pairs]
    if areas:
        chosen = [p for p in chosen if p.area in areas]
    if keyword:
        from _pytest.mark.expression import Expression
        expression = Expression.compile(keyword)
        chosen = [p for p in chosen if expression.evaluate(
            lambda word, p=p: word in p.name or word == f"area_{p.area}" or word in ("test_edge_cases",
                                                                                  "test_property"))]
    return len(chosen)


def choose_workers(requested: str, pairs, areas, keyword, profile: Profile) -> str:
    """-n auto: no worker pool for a handful of pairs (its start-up would cost more than it saves)."""
    if requested != "auto":
        return requested
    try:
        n = selected_pairs(pairs, areas, keyword, profile)
    except Exception:  # noqa: BLE001 — an expression pytest will reject anyway: let pytest decide
        return requested
    return "0" if n < SMALL_SELECTION else requested
