"""Training-level check: the same MLP, the same initial weights and the same batches, trained for 50
steps in the implementation and in torch, stays on the same loss curve."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from difftests.scenarios.training import build_mlp, make_optimizer

pytestmark = pytest.mark.area_training

STEPS, BATCH, FEATURES, CLASSES = 50, 32, 8, 4
# Bounds on max |loss_impl - loss_torch| over the 50 steps. float64: the bound. float32:
# measured 2.4e-7 (SGD) and 3.0e-7 (Adam) for tiny; the bound leaves 10x headroom for a correct
# implementation that rounds differently (float32 eps is 1.2e-7 and errors compound over steps).
BOUND = {"float64": 1e-8, "float32": 3e-6}


def problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((CLASSES, FEATURES)) * 2
    targets = rng.integers(0, CLASSES, (STEPS, BATCH))
    inputs = centers[targets] + rng.standard_normal((STEPS, BATCH, FEATURES))
    torch.manual_seed(seed)
    model = build_mlp(torch, FEATURES, CLASSES)
    state = {k: v.detach().numpy().astype(np.float64) for k, v in model.state_dict().items()}
    return state, inputs, targets


def torch_losses(state, inputs, targets, dtype: str, optimizer: str) -> tuple[np.ndarray, dict]:
    model = build_mlp(torch, FEATURES, CLASSES)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    model.to(getattr(torch, dtype))
    opt = make_optimizer(torch, optimizer, model.parameters())
    losses = []
    for x, y in zip(inputs, targets):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x.astype(dtype))), torch.from_numpy(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), {k: v.detach().numpy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mlp_follows_torchs_loss_curve(observe, dtype, optimizer, record_property):
    state, inputs, targets = problem()
    got = observe("training.mlp", state=state, inputs=inputs, targets=targets, dtype=dtype, optimizer=optimizer)
    want_losses, want_params = torch_losses(state, inputs, targets, dtype, optimizer)
    divergence = float(np.max(np.abs(got["losses"] - want_losses)))
    record_property("max_loss_divergence", divergence)
    print(f"{dtype} {optimizer}: max |loss - torch loss| over {STEPS} steps = {divergence:.3g}")
    assert want_losses[-1] < want_losses[0] * 0.5, "the problem should be learnable"
    assert divergence < BOUND[dtype], f"loss curves diverge by {divergence:.3g} (bound {BOUND[dtype]:g})"
    for name, value in want_params.items():
        np.testing.assert_allclose(got["params"][name], value, rtol=0, atol=BOUND[dtype] * 100)
