"""tiny.nn: Module, Parameter, containers, layers, activations and losses (torch.nn's names).

Each concept lives in its own file; a file lists its Modules in `__all__` and its functional forms in
`__functional__` (re-exported by tiny.nn.functional).
"""
from tiny.nn import activation, attention, dropout, embedding, flatten, init, linear, loss, normalization, positional
from tiny.nn import conv, padding, pooling
from tiny.nn.container import ModuleDict, ModuleList, Sequential
from tiny.nn.module import Module
from tiny.nn.parameter import Parameter

LAYER_MODULES = [activation, dropout, embedding, flatten, linear, loss, normalization, attention, positional]
LAYER_MODULES += [conv, pooling, padding]  # vision (issue 11)

for _module in LAYER_MODULES:
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})

from tiny.nn import functional, utils  # noqa: E402  (after the layers it re-exports)

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "functional", "init", "utils"] + [
    name for module in LAYER_MODULES for name in module.__all__]
