"""Scenarios of the gpt area (torch-free); see difftests/scenarios/__init__.py. The trusted side is
difftests/test_gpt.py, which runs the same steps on the torch twin (reference/models/gpt.py).

A model is described by `config` (GPTConfig's fields as a dict), `dtype` ("float32"/"float64") and
optionally `state` ({state-dict key: array}); without a state the model keeps its own random init.
"""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, attempt, raised, scenario  # noqa: F401


def build(lib, config: dict, dtype: str = "float32", state: dict | None = None):
    model = lib.models.GPT(lib.models.GPTConfig(**config))
    model.to(getattr(lib, dtype))
    if state is not None:
        model.load_state_dict({key: lib.tensor(value) for key, value in state.items()})
    return model


def _forward(lib, model, idx: np.ndarray, targets: np.ndarray | None) -> dict:
    logits, loss = model(lib.tensor(idx), None if targets is None else lib.tensor(targets))
    return {"logits": array(logits.detach()), "loss": None if loss is None else float(loss.item())}


@scenario("gpt.forward")
def forward(lib, config: dict, dtype: str, state: dict | None, inputs: list, train: bool = False) -> dict:
    """Logits (and loss) for each (idx, targets) of `inputs`, in eval mode unless `train`."""
    model = build(lib, config, dtype, state)
    model.train(train)
    return {"outputs": [_forward(lib, model, idx, targets) for idx, targets in inputs]}


@scenario("gpt.structure")
def structure(lib, config: dict, dtype: str = "float32") -> dict:
    """The state-dict layout, the parameter list, weight tying and the initial values of a fresh model."""
    model = build(lib, config, dtype)
    state = model.state_dict()
    return {"state": [[key, list(value.shape), str(value.dtype).split(".")[-1]] for key, value in state.items()],
            "parameters": [[name, list(p.shape)] for name, p in model.named_parameters()],
            "head_is_tok_emb": model.head.weight is model.tok_emb.weight,
            "values": {key: array(value) for key, value in state.items()},
            "mlp": [type(model.blocks[0].mlp.fc).__name__, type(model.blocks[0].mlp.act).__name__,
                    type(model.blocks[0].mlp.proj).__name__] if config["n_layer"] else []}


@scenario("gpt.gradients")
def gradients(lib, config: dict, dtype: str, state: dict, idx: np.ndarray, targets: np.ndarray) -> dict:
    """The loss and every parameter's gradient after loss.backward()."""
    model = build(lib, config, dtype, state)
    logits, loss = model(lib.tensor(idx), lib.tensor(targets))
    loss.backward()
    return {"loss": float(loss.item()), "head_is_tok_emb": model.head.weight is model.tok_emb.weight,
            "grads": {name: array(p.grad) for name, p in model.named_parameters()}}


@scenario("gpt.errors")
def errors(lib, config: dict, idx_cases: list, bad_configs: list) -> dict:
    """What forward raises on each idx of `idx_cases` (an (idx, targets) pair), and what the constructor
    raises for each config of `bad_configs`."""
    model = build(lib, config)
    return {"forward": [attempt(lambda: _forward(lib, model, idx, targets)) for idx, targets in idx_cases],
            "constructor": [attempt(lambda: build(lib, bad) and "built") for bad in bad_configs]}
