"""Reading a tokenizer file: every failure names the file (a truncated or foreign file is common)."""
from __future__ import annotations

import json
import os
from typing import Any, Callable


def load_state(path: str | os.PathLike, kind: str, build: Callable[[dict], Any]) -> Any:
    """json.load(path) -> build(state); a file that is not valid JSON, not a `kind` file, or whose fields do not
    build a tokenizer raises ValueError naming the file. A missing file raises FileNotFoundError (with its name)."""
    name = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as file:
            state = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{kind}.load: {name!r} is not a valid {kind} file (truncated or not JSON: {exc})") from None
    if not isinstance(state, dict) or state.get("type") != kind:
        raise ValueError(f"{kind}.load: {name!r} is not a saved {kind}")
    try:
        return build(state)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{kind}.load: {name!r} holds an invalid {kind} ({type(exc).__name__}: {exc})") from None
