"""Scenarios of the conv area (torch-free); compared with torch in difftests/test_conv_modules.py.

Module behaviour the per-op pairs do not see: Conv2d/Conv1d attributes, parameter layout and default init,
constructor errors, the vision models' state-dict layout, and a LeNet-5 SGD step loaded from torch's
weights. Builders take an `nn` (or models) namespace so the test builds the very same thing with torch.
"""
from __future__ import annotations

import numpy as np

from difftests.scenarios import array, scenario
from difftests.scenarios.nn import describe, error_of

CONV_VARIANTS = {
    "Conv2d(3, 8, 3)": lambda nn: nn.Conv2d(3, 8, 3),
    "Conv2d(4, 6, (3, 2), stride=2, padding=1, bias=False)":
        lambda nn: nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, bias=False),
    "Conv2d(4, 8, 3, groups=4, dilation=2)": lambda nn: nn.Conv2d(4, 8, 3, groups=4, dilation=2),
    "Conv2d(2, 3, 4, padding='same')": lambda nn: nn.Conv2d(2, 3, 4, padding="same"),
    "Conv1d(3, 5, 4, stride=2)": lambda nn: nn.Conv1d(3, 5, 4, stride=2),
}
ATTRIBUTES = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
              "padding_mode")

CONSTRUCTOR_ERRORS = {
    "in_channels % groups": lambda nn: nn.Conv2d(4, 6, 3, groups=3),
    "out_channels % groups": lambda nn: nn.Conv2d(3, 4, 3, groups=3),
    "groups = 0": lambda nn: nn.Conv2d(3, 3, 3, groups=0),
    "'same' with stride 2": lambda nn: nn.Conv2d(3, 4, 3, stride=2, padding="same"),
    "padding string 'full'": lambda nn: nn.Conv2d(3, 4, 3, padding="full"),
    "padding_mode 'mirror'": lambda nn: nn.Conv2d(3, 4, 3, padding_mode="mirror"),
}

MODELS = {
    "LeNet5()": lambda models: models.LeNet5(),
    "LeNet5(num_classes=3, activation='tanh', pooling='avg')":
        lambda models: models.LeNet5(num_classes=3, activation="tanh", pooling="avg"),
    "MLP([784, 256, 128, 10])": lambda models: models.MLP([784, 256, 128, 10]),
    "MLP([4, 3], activation='tanh')": lambda models: models.MLP([4, 3], activation="tanh"),
    "Perceptron(2)": lambda models: models.Perceptron(2),
}


def plain(value):
    """Tuples -> lists (what torch's attributes look like once observed), strings/ints unchanged."""
    return list(value) if isinstance(value, tuple) else value


@scenario("conv.structure")
def structure(lib, variant: str):
    module = CONV_VARIANTS[variant](lib.nn)
    return {**describe(module), "attributes": {name: plain(getattr(module, name)) for name in ATTRIBUTES}}


@scenario("conv.init")
def default_init(lib, seed: int = 0):
    """Default init of a Conv2d with fan_in 72 and one with groups (fan_in 18), many samples each."""
    lib.manual_seed(seed)
    plain_conv, grouped = lib.nn.Conv2d(8, 64, 3), lib.nn.Conv2d(8, 64, 3, groups=4)
    return {"plain_weight": array(plain_conv.weight), "plain_bias": array(plain_conv.bias),
            "grouped_weight": array(grouped.weight), "grouped_bias": array(grouped.bias)}


@scenario("conv.constructor_errors")
def constructor_errors(lib):
    return {name: error_of(lambda build=build: build(lib.nn)) for name, build in CONSTRUCTOR_ERRORS.items()}


@scenario("conv.forward_shapes")
def forward_shapes(lib, x: np.ndarray):
    """Output shapes of each variant on x (and on x[0], unbatched, for the 2-D ones)."""
    shapes = {}
    for name, build in CONV_VARIANTS.items():
        module = build(lib.nn)
        data = x[:, :module.in_channels] if name.startswith("Conv2d") else x[:, :module.in_channels, 0]
        shapes[name] = list(module(lib.tensor(data)).shape)
        shapes[name + " unbatched"] = list(module(lib.tensor(data[0])).shape)
    return shapes


@scenario("conv.models_structure")
def models_structure(lib, model: str):
    return describe(MODELS[model](lib.models))


@scenario("conv.lenet_sgd_step")
def lenet_sgd_step(lib, state: dict, x: np.ndarray, labels: np.ndarray, lr: float):
    """float64 LeNet-5 loaded from `state`: cross-entropy, backward, one SGD(momentum) step, twice."""
    model = lib.models.LeNet5().to(lib.float64)
    model.load_state_dict(state)
    optimizer = lib.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for _ in range(2):
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(labels))
        loss.backward()
        optimizer.step()
        losses.append(float(loss.item()))
    return {"losses": losses, "state": {name: array(value) for name, value in model.state_dict().items()}}
