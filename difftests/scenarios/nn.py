"""Scenarios of the nn area (torch-free); see difftests/scenarios/__init__.py.

Three groups, each compared in its own test file:
- Module semantics (difftests/test_nn_module.py): the models are built by the builders below, which take an
  `nn` namespace, so the test builds the very same model with torch.nn;
- Dropout (difftests/test_dropout.py): outputs, gradients and masks; the test checks the semantics and the
  binomial statistics (the random streams differ from torch's);
- nn.init (difftests/test_init.py): the initialized values; the test computes torch's bounds/stds and the
  statistical bands.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from difftests.scenarios import array, attempt, raised, scenario  # noqa: F401


def dtype_name(dtype) -> str:
    return str(dtype).split(".")[-1]


def error_of(fn: Callable[[], Any]) -> dict | None:
    """None when fn() returns, else {"class": builtin exception class, "message": str(exception)}.
    (The message alone, without the class name or source location, so a regex sees only what the
    implementation wrote, as pytest.raises(match=...) would.)"""
    try:
        fn()
    except NotImplementedError:  # not implemented is reported as such, not observed
        raise
    except Exception as exc:  # noqa: BLE001
        return {"class": raised(exc)["__raised__"][0], "message": str(exc)}
    return None


# ====== Module semantics =================================================================================
def build(nn):
    """The model most module tests use, in the implementation (nn = lib.nn) or in torch (nn = torch.nn)."""
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.BatchNorm1d(3), nn.LayerNorm(3),
                         nn.Embedding(10, 3, padding_idx=0))


def build_deep(nn):
    """A Sequential through every kind of layer with parameters or running statistics."""
    return nn.Sequential(nn.Linear(5, 8), nn.GELU(), nn.Linear(8, 4), nn.BatchNorm1d(4), nn.Tanh(),
                         nn.LayerNorm(4), nn.Linear(4, 3), nn.LogSoftmax(dim=-1))


OPTIONAL_PARAMETERS = {
    "Linear(bias=False)": lambda nn: nn.Linear(3, 2, bias=False),
    "LayerNorm(bias=False)": lambda nn: nn.LayerNorm(3, bias=False),
    "LayerNorm(elementwise_affine=False)": lambda nn: nn.LayerNorm((2, 3), elementwise_affine=False),
    "BatchNorm2d(affine=False)": lambda nn: nn.BatchNorm2d(3, affine=False),
    "BatchNorm1d(track_running_stats=False)": lambda nn: nn.BatchNorm1d(3, track_running_stats=False),
}


def build_containers(nn):
    """A Module whose children live in a ModuleList and a ModuleDict, plus a directly assigned Parameter."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 2, bias=False)])
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.LayerNorm(2)})
            self.scale = nn.Parameter(nn.init.ones_(nn.Linear(1, 2).weight.detach()))
    return Net()


def shapes(named) -> list:
    """[[name, [shape]], ...] of (name, tensor) pairs, in their order."""
    return [[name, list(t.shape)] for name, t in named]


def describe(module) -> dict:
    """What torch's structure exposes: names, order, shapes and dtypes of parameters, buffers, state."""
    state = module.state_dict()
    return {"parameters": shapes(module.named_parameters()), "buffers": shapes(module.named_buffers()),
            "state": shapes(state.items()), "state_dtypes": [dtype_name(v.dtype) for v in state.values()],
            "parameter_count": len(list(module.parameters())),
            "module_types": [type(m).__name__ for m in module.modules()]}


@scenario("nn.structure")
def structure(lib, to_dtype: str | None = None):
    model = build(lib.nn)
    if to_dtype is not None:
        model = model.to(getattr(lib, to_dtype))
    return describe(model)


@scenario("nn.optional_parameters")
def optional_parameters(lib, variant: str):
    return {"state": shapes(OPTIONAL_PARAMETERS[variant](lib.nn).state_dict().items())}


@scenario("nn.deep_sequential")
def deep_sequential(lib, state: dict, x: np.ndarray, upstream: np.ndarray):
    """float64 model loaded from `state`; forward on x, backward of `upstream`."""
    model = build_deep(lib.nn).to(lib.float64)
    model.load_state_dict(state)
    xt = lib.tensor(x, requires_grad=True)
    out = model(xt)
    out.backward(lib.tensor(upstream))
    named = list(model.named_parameters())
    return {"out": array(out), "x_grad": array(xt.grad), "parameter_names": [name for name, _ in named],
            "parameter_grads": {name: array(p.grad) for name, p in named},
            "state": {name: array(v) for name, v in model.state_dict().items()}}


@scenario("nn.load_state_dict_strict")
def load_state_dict_strict(lib, state: dict, missing: dict, unexpected: dict, wrong_shape: dict):
    model = build(lib.nn)
    exact = error_of(lambda: model.load_state_dict(state))
    return {"exact": exact, "loaded_weight": array(model.state_dict()["0.weight"]),
            "missing": error_of(lambda: model.load_state_dict(missing)),
            "unexpected": error_of(lambda: model.load_state_dict(unexpected)),
            "wrong_shape": error_of(lambda: model.load_state_dict(wrong_shape))}


@scenario("nn.load_state_dict_non_strict")
def load_state_dict_non_strict(lib, partial: dict):
    result = build(lib.nn).load_state_dict(partial, strict=False)
    return {"missing_keys": list(result.missing_keys), "unexpected_keys": list(result.unexpected_keys)}


@scenario("nn.train_eval")
def train_eval(lib):
    model = build(lib.nn)
    flags = {"built": [m.training for m in model.modules()]}
    flags["eval_returns_self"] = model.eval() is model
    flags["after_eval"] = [m.training for m in model.modules()]
    model.train()
    flags["after_train"] = [m.training for m in model.modules()]
    model[3].eval()  # only that submodule
    flags["after_one_eval"] = [m.training for m in model.modules()]
    return flags


@scenario("nn.batch_norm_counts")
def batch_norm_counts(lib, x: np.ndarray):
    """Two training calls, then one in eval mode."""
    module, tensor = lib.nn.BatchNorm1d(x.shape[1]), lib.tensor(x)
    module(tensor)
    module(tensor)
    module.eval()
    module(tensor)
    return {"num_batches_tracked": int(module.num_batches_tracked.item()),
            "running_mean": array(module.running_mean), "running_var": array(module.running_var)}


@scenario("nn.zero_grad")
def zero_grad(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    model(lib.randn(5, 3)).sum().backward()
    after_backward = [p.grad is not None for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    zeroed = [None if p.grad is None else array(p.grad) for p in model.parameters()]
    model.zero_grad()
    return {"after_backward": after_backward, "after_zeroing": zeroed,
            "after_default": [p.grad is None for p in model.parameters()]}


@scenario("nn.repr")
def module_repr(lib):
    return {"text": repr(build(lib.nn))}


@scenario("nn.bad_input")
def bad_input(lib):
    nn = lib.nn
    return {"linear": error_of(lambda: nn.Linear(5, 4)(lib.zeros(2, 3))),
            "layer_norm": error_of(lambda: nn.LayerNorm(4)(lib.zeros(2, 3))),
            "batch_norm_one_sample": error_of(lambda: nn.BatchNorm1d(3)(lib.zeros(1, 3))),
            "batch_norm_channels": error_of(lambda: nn.BatchNorm1d(4)(lib.zeros(2, 3))),
            "embedding_index": error_of(lambda: nn.Embedding(5, 2)(lib.tensor([0, 5])))}


@scenario("nn.containers")
def containers(lib):
    net = build_containers(lib.nn)
    observed = {"parameters": shapes(net.named_parameters()), "state": shapes(net.state_dict().items()),
                "len_blocks": len(net.blocks), "len_heads": len(net.heads),
                "block_types": [type(m).__name__ for m in net.blocks], "head_keys": list(net.heads.keys()),
                "head_b_type": type(net.heads["b"]).__name__, "block_1_bias_is_none": net.blocks[1].bias is None}
    net.blocks.append(lib.nn.ReLU())
    observed["module_names_after_append"] = [name for name, _ in net.named_modules()]
    return observed


# ====== Dropout ==========================================================================================
@scenario("nn.dropout")
def dropout(lib, x: np.ndarray, p: float, upstream: np.ndarray, training: bool = True, module: bool = True,
            seed: int = 0):
    """Output and input gradient of dropout through the Module or the functional form."""
    lib.manual_seed(seed)
    tensor = lib.tensor(x, requires_grad=True)
    if module:
        layer = lib.nn.Dropout(p)
        out = (layer if training else layer.eval())(tensor)
    else:
        out = lib.nn.functional.dropout(tensor, p=p, training=training)
    out.backward(lib.tensor(upstream))
    return {"out": array(out), "grad": array(tensor.grad)}


@scenario("nn.dropout_in_container")
def dropout_in_container(lib, x: np.ndarray):
    model = lib.nn.Sequential(lib.nn.Linear(x.shape[1], x.shape[1]), lib.nn.Dropout(0.9))
    model.eval()
    with lib.no_grad():
        first, second = array(model(lib.tensor(x))), array(model(lib.tensor(x)))
    model.train()
    with lib.no_grad():
        dropped = array(model(lib.tensor(x)))
    return {"eval_first": first, "eval_second": second, "train": dropped}


@scenario("nn.dropout_consecutive_masks")
def dropout_consecutive_masks(lib, x: np.ndarray, seed: int):
    lib.manual_seed(seed)
    layer = lib.nn.Dropout(0.5)
    with lib.no_grad():
        return {"masks": [array(layer(lib.tensor(x))) != 0 for _ in range(2)]}


@scenario("nn.dropout_bad_probability")
def dropout_bad_probability(lib, p: float):
    return {"module": error_of(lambda: lib.nn.Dropout(p)),
            "functional": error_of(lambda: lib.nn.functional.dropout(lib.ones(3), p))}


@scenario("nn.dropout_repr")
def dropout_repr(lib, p: float):
    return {"text": repr(lib.nn.Dropout(p))}


# ====== nn.init ==========================================================================================
@scenario("nn.init")
def init(lib, initializer: str, shape: tuple, dtype: str = "float32", kwargs: dict | None = None):
    """The values `initializer` writes into a zero tensor (seed 0), and whether it returned it."""
    lib.manual_seed(0)
    tensor = lib.zeros(*shape, dtype=getattr(lib, dtype))
    result = getattr(lib.nn.init, initializer)(tensor, **(kwargs or {}))
    return {"returned_the_tensor": result is tensor, "values": array(tensor)}


@scenario("nn.init_constants")
def init_constants(lib, dtype: str):
    observed = {}
    for name, args in [("constant_", (2.5,)), ("zeros_", ()), ("ones_", ())]:
        tensor = lib.full((3, 4), 7.0, dtype=getattr(lib, dtype))
        returned = getattr(lib.nn.init, name)(tensor, *args) is tensor
        observed[name] = {"returned_the_tensor": returned, "values": array(tensor),
                          "dtype": str(tensor.data.dtype)}
    return observed


@scenario("nn.init_error")
def init_error(lib, initializer: str, shape: tuple, kwargs: dict | None = None):
    return {"error": error_of(lambda: getattr(lib.nn.init, initializer)(lib.zeros(shape), **(kwargs or {})))}


@scenario("nn.init_zero_elements")
def init_zero_elements(lib, initializer: str):
    tensor = lib.zeros(0, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        returned = getattr(lib.nn.init, initializer)(tensor) is tensor
    warned = [{"user_warning": issubclass(w.category, UserWarning), "category": w.category.__name__,
               "message": str(w.message)} for w in caught]
    return {"returned_the_tensor": returned, "warnings": warned, "shape": list(tensor.shape)}


@scenario("nn.init_in_place")
def init_in_place(lib):
    """What a view of the tensor's array sees after each initializer."""
    tensor = lib.zeros(20, 30)
    view = tensor.data
    lib.nn.init.kaiming_uniform_(tensor)
    after_kaiming = np.array(view, copy=True)
    lib.nn.init.constant_(tensor, 3.0)
    return {"view_after_kaiming": after_kaiming, "view_after_constant": np.array(view, copy=True)}


@scenario("nn.init_float64")
def init_float64(lib):
    tensor = lib.zeros(30, 20, dtype=lib.float64)
    dtypes = {}
    for name in ("xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "uniform_", "normal_"):
        getattr(lib.nn.init, name)(tensor)
        dtypes[name] = str(tensor.data.dtype)
    return {"dtypes": dtypes}


@scenario("nn.init_streams")
def init_streams(lib, seed: int, generator_seed: int):
    def draw(**kwargs):
        tensor = lib.zeros(50, 40)
        lib.nn.init.kaiming_normal_(tensor, **kwargs)
        return array(tensor)

    lib.manual_seed(seed)
    first = draw()
    lib.manual_seed(seed)
    reseeded = draw()
    consecutive = draw()
    return {"first": first, "reseeded": reseeded, "consecutive": consecutive,
            "generator": [draw(generator=np.random.default_rng(generator_seed)) for _ in range(2)]}


@scenario("nn.layer_default_init")
def layer_default_init(lib):
    lib.manual_seed(0)
    linear = lib.nn.Linear(400, 300)
    embedding = lib.nn.Embedding(1000, 100)
    padded = lib.nn.Embedding(10, 4, padding_idx=3)
    norms = {"LayerNorm": lib.nn.LayerNorm(6), "BatchNorm1d": lib.nn.BatchNorm1d(6)}
    return {"linear_weight": array(linear.weight), "linear_bias": array(linear.bias),
            "embedding_weight": array(embedding.weight), "padded_weight": array(padded.weight),
            "norms": {name: {"weight": array(m.weight), "bias": array(m.bias)} for name, m in norms.items()}}
