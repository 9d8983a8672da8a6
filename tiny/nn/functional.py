"""tiny.nn.functional: the functional form of every layer, activation and loss.

Re-exports each layer file's `__functional__` names (the Function and its wrapper live beside the
Module in that file, e.g. tiny/nn/activation.py holds GELU's Function, `gelu` and `nn.GELU`).
"""
from tiny.nn import LAYER_MODULES

__all__ = [name for module in LAYER_MODULES for name in module.__functional__]
globals().update({name: getattr(module, name) for module in LAYER_MODULES for name in module.__functional__})
