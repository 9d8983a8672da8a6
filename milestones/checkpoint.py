"""Checkpoints of a trained GPT that tiny.generation can sample from: a directory holding

    model.npz       the state dict (every key, tied weights under both names), one array per key
    config.json     {"model": "GPT", "config": GPTConfig's fields, ...anything the milestone adds}
    tokenizer.json  the CharTokenizer (tiny.text.CharTokenizer.save)
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import asdict
from pathlib import Path

import numpy as np

import tiny
from tiny.models import GPT, GPTConfig
from tiny.text import CharTokenizer

__all__ = ["save_checkpoint", "load_checkpoint"]

MODEL_FILE, CONFIG_FILE, TOKENIZER_FILE = "model.npz", "config.json", "tokenizer.json"


def save_checkpoint(directory: str | os.PathLike, model: GPT, tokenizer: CharTokenizer,
                    extra: dict | None = None) -> Path:
    """Write model.npz, config.json and tokenizer.json into `directory` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / MODEL_FILE, **{key: value.numpy() for key, value in model.state_dict().items()})
    meta = {"model": "GPT", "config": asdict(model.config), **(extra or {})}
    (directory / CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    tokenizer.save(directory / TOKENIZER_FILE)
    return directory


def load_checkpoint(directory: str | os.PathLike) -> tuple[GPT, CharTokenizer]:
    """The GPT (in eval mode, weights as saved) and its tokenizer, from a save_checkpoint directory."""
    directory = Path(directory)
    if not (directory / MODEL_FILE).is_file():
        raise FileNotFoundError(f"load_checkpoint: {directory} holds no {MODEL_FILE} (expected a directory "
                                f"written by save_checkpoint with {MODEL_FILE}, {CONFIG_FILE}, {TOKENIZER_FILE})")
    meta = json.loads((directory / CONFIG_FILE).read_text())
    if meta.get("model") != "GPT":
        raise ValueError(f"load_checkpoint: {directory / CONFIG_FILE} describes model {meta.get('model')!r}, "
                         "expected 'GPT'")
    model = GPT(GPTConfig(**meta["config"]))
    try:
        with np.load(directory / MODEL_FILE) as arrays:
            state = {key: tiny.tensor(arrays[key]) for key in arrays.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:  # a truncated or foreign file
        raise ValueError(f"load_checkpoint: {directory / MODEL_FILE} is not a readable state dict "
                         f"({type(exc).__name__}: {exc})") from None
    model.load_state_dict(state)
    model.eval()
    return model, CharTokenizer.load(directory / TOKENIZER_FILE)
