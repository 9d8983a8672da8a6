"""minigrad: a small float32-only autograd framework, written for the difftests' partial-grading test.

It is NOT tiny: its own tensor, engine, a few ops, nn.Linear, an MSE loss and SGD — what a student has
after a few homeworks. Everything is computed in float32 (a float64 request still gives float32), many
options raise NotImplementedError, and three bugs are planted (see tests/test_partial_grading.py):

1. Tensor.tanh's backward uses 1 - y instead of 1 - y**2           -> pair "tanh", gradient w.r.t. input 0
2. mse_loss(reduction='sum') divides by the number of elements     -> pair "mse_loss", forward values
3. nn.Linear's bias gradient is averaged over the batch, not summed -> pair "nn.Linear", parameter gradients
"""
from minigrad.tensor import Tensor, no_grad, tensor  # noqa: F401
from minigrad import nn, optim  # noqa: F401,E402

float32 = "float32"
float64 = "float64"   # accepted as a name; computed in float32 all the same
int64 = "int64"
