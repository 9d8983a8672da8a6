"""Training-level scenario (torch-free): a small MLP trained step by step; compared with the same
loop in torch in difftests/test_training.py."""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, scenario

HIDDEN = 16


def build_mlp(lib, in_features: int, classes: int):
    return lib.nn.Sequential(lib.nn.Linear(in_features, HIDDEN), lib.nn.ReLU(), lib.nn.Linear(HIDDEN, HIDDEN),
                             lib.nn.Tanh(), lib.nn.Linear(HIDDEN, classes))


def make_optimizer(lib, name: str, params):
    if name == "sgd":
        return lib.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
    return lib.optim.Adam(params, lr=1e-2)


@scenario("training.mlp")
def train_mlp(lib, state: dict, inputs: np.ndarray, targets: np.ndarray, dtype: str, optimizer: str):
    """inputs (K, B, F), targets (K, B): K steps of forward, cross-entropy, backward, step."""
    model = build_mlp(lib, inputs.shape[-1], int(targets.max()) + 1)
    model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    model.to(getattr(lib, dtype))
    opt = make_optimizer(lib, optimizer, model.parameters())
    losses = []
    for x, y in zip(inputs, targets):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x.astype(dtype))), lib.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"losses": np.array(losses), "params": {k: array(v) for k, v in model.state_dict().items()}}
