"""Automatic differentiation: Function (forward/backward on arrays), the engine, grad mode."""
from tiny.autograd.engine import call_backward, run_backward, topological_order, unbroadcast
from tiny.autograd.function import Context, Function, Node, output_index
from tiny.autograd.grad_mode import enable_grad, grad_enabled, is_grad_enabled, no_grad, set_grad_enabled

# The public API; Context, Node, output_index, call_backward, run_backward, topological_order and unbroadcast
# are the engine's parts (documented in engine.py: what the engine region may use).
__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "grad_enabled", "is_grad_enabled"]
