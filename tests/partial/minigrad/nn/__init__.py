"""minigrad.nn: Module, Parameter, Linear, ReLU and the functional relu / mse_loss."""
from minigrad.nn import functional  # noqa: F401
from minigrad.nn.modules import Linear, Module, Parameter, ReLU  # noqa: F401
