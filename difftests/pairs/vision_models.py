"""Pairs for the vision models (tiny.models.Perceptron, MLP, LeNet5) against their torch twins
(reference/models/*.py), area "conv": random weights loaded on both sides (state-dict keys are the same),
forward on a random batch, backward from a random upstream gradient; outputs, the input gradient and every
parameter gradient are compared. Weights are drawn from a seed (hypothesis draws the seed): Linear and conv
weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1), so every layer's activations are O(1).
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from difftests.cases import Case
from difftests.registry import Pair, register

AREA = "conv"

COVERED_ELSEWHERE = {
    "save": "tests/test_serialization.py: exact round trips, files read by safetensors.torch.load_file into the "
            "torch twins (model, optimizer, scheduler) and the reverse, truncated/corrupted/mismatched files",
    "load": "tests/test_serialization.py (see save)",
}


def lenet_shapes(num_classes: int = 10) -> list[tuple[str, tuple]]:
    return [("c1.weight", (6, 1, 5, 5)), ("c1.bias", (6,)), ("c3.weight", (16, 6, 5, 5)), ("c3.bias", (16,)),
            ("c5.weight", (120, 16, 5, 5)), ("c5.bias", (120,)), ("f6.weight", (84, 120)), ("f6.bias", (84,)),
            ("output.weight", (num_classes, 84)), ("output.bias", (num_classes,))]


def mlp_shapes(sizes: list[int]) -> list[tuple[str, tuple]]:
    shapes = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes += [(f"layers.{2 * i}.weight", (fan_out, fan_in)), (f"layers.{2 * i}.bias", (fan_out,))]
    return shapes


def shapes_of(model: str, config: dict) -> list[tuple[str, tuple]]:
    if model == "LeNet5":
        return lenet_shapes(config.get("num_classes", 10))
    if model == "MLP":
        return mlp_shapes(config["sizes"])
    return [("linear.weight", (1, config["in_features"])), ("linear.bias", (1,))]


def random_parameters(shapes: list[tuple[str, tuple]], seed: int, dtype: str) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(0.1 * rng.standard_normal(shape) if name.endswith("bias") else
             rng.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(dtype) for name, shape in shapes]


def model_call(lib, x, *params, model, config):
    """Build tiny.models.<model>(**config) in x's dtype, load params (state-dict order), forward."""
    net = getattr(lib.models, model)(**config)
    net.to(getattr(lib, str(x.dtype).split(".")[-1]))
    net.load_state_dict(dict(zip([name for name, _ in shapes_of(model, config)], params)))
    return {"out": net(x), "params": dict(net.named_parameters())}


def make_case(model: str, config: dict, x: np.ndarray, seed: int, label: str = "") -> Case:
    params = random_parameters(shapes_of(model, config), seed, str(x.dtype))
    return Case((x, *params), {"model": model, "config": config}, grad=(True,) + (False,) * len(params),
                label=label)


@st.composite
def _lenet_case(draw, dtype):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    config = {"activation": draw(st.sampled_from(["relu", "tanh"])), "pooling": draw(st.sampled_from(["max", "avg"])),
              "num_classes": draw(st.sampled_from([10, 3]))}
    x = np.random.default_rng(seed + 1).standard_normal((draw(st.integers(1, 3)), 1, 28, 28)).astype(dtype)
    return make_case("LeNet5", config, x, seed, f"{config['activation']}, {config['pooling']} pooling")


def _lenet_examples(dtype):
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(dtype)
    return [make_case("LeNet5", {}, x, 1, "default: ReLU, max pooling"),
            make_case("LeNet5", {"activation": "tanh", "pooling": "avg"}, x, 2, "1998 flavour: tanh, avg pooling"),
            make_case("LeNet5", {}, np.zeros((0, 1, 28, 28), dtype), 3, "empty batch"),
            make_case("LeNet5", {}, x[:, :, :20, :20], 4, "20x20 input: c5 kernel larger than its input (error)"),
            make_case("LeNet5", {}, np.repeat(x, 3, axis=1), 5, "3 channels (error)")]


@st.composite
def _mlp_case(draw, dtype):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=5))
    config = {"sizes": sizes, "activation": draw(st.sampled_from(["relu", "tanh", "sigmoid", "gelu"]))}
    x = np.random.default_rng(seed + 1).standard_normal((draw(st.integers(0, 4)), sizes[0])).astype(dtype)
    return make_case("MLP", config, x, seed, f"{len(sizes) - 1} layers, {config['activation']}")


def _mlp_examples(dtype):
    x = np.random.default_rng(0).standard_normal((5, 8)).astype(dtype)
    return [make_case("MLP", {"sizes": [8, 16, 12, 10]}, x, 1, "784-256-128-10 in miniature, ReLU"),
            make_case("MLP", {"sizes": [8, 3], "activation": "tanh"}, x, 2, "one layer: no activation"),
            make_case("MLP", {"sizes": [8, 4, 4, 4, 2], "activation": "sigmoid"}, x, 3, "4 layers, sigmoid"),
            make_case("MLP", {"sizes": [8, 6, 3]}, x[:0], 4, "empty batch"),
            make_case("MLP", {"sizes": [7, 6, 3]}, x, 5, "input features != sizes[0] (error)")]


@st.composite
def _perceptron_case(draw, dtype):
    seed = draw(st.integers(0, 2 ** 32 - 1))
    config = {"in_features": draw(st.integers(1, 6))}
    x = np.random.default_rng(seed + 1).standard_normal((draw(st.integers(0, 5)), config["in_features"]))
    return make_case("Perceptron", config, x.astype(dtype), seed)


def _perceptron_examples(dtype):
    x = np.random.default_rng(0).standard_normal((6, 2)).astype(dtype)
    return [make_case("Perceptron", {"in_features": 2}, x, 1, "2-D points: scores (N,)"),
            make_case("Perceptron", {"in_features": 2}, x[:0], 2, "empty batch"),
            make_case("Perceptron", {"in_features": 3}, x, 3, "wrong feature count (error)")]


for _name, _strategy, _examples, _max in (("LeNet5", _lenet_case, _lenet_examples, 6),
                                          ("MLP", _mlp_case, _mlp_examples, 20),
                                          ("Perceptron", _perceptron_case, _perceptron_examples, 10)):
    register(Pair(f"models.{_name}", AREA, call=model_call, ref="reference.models.vision_pairs:model_module",
                  source=f"tiny.models.{_name.lower() if _name != 'LeNet5' else 'lenet'}:{_name}",
                  strategy=_strategy, examples=_examples, requires=(f"models.{_name}", "float32"), max_examples=_max))
