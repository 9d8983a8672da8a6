"""`SGD`: stochastic gradient descent with momentum, dampening, Nesterov, weight decay (torch.optim.SGD).

For each parameter with a gradient g (negated when maximize):
    g = g + weight_decay * p                           if weight_decay != 0
    b = g  (first step),  b = momentum * b + (1 - dampening) * g  (later)   if momentum != 0
    g = g + momentum * b  if nesterov,  else  g = b
    p = p - lr * g
The momentum buffer is stored as state['momentum_buffer'] (torch's name).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from tiny.optim import _pointwise as pw
from tiny.optim.optimizer import Optimizer
from tiny.tensor import Tensor


class SGD(Optimizer):
    def __init__(self, params: Iterable, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"SGD: invalid learning rate: {lr} (expected lr >= 0)")
        if momentum < 0.0:
            raise ValueError(f"SGD: invalid momentum value: {momentum} (expected momentum >= 0)")
        if weight_decay < 0.0:
            raise ValueError(f"SGD: invalid weight_decay value: {weight_decay} (expected >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _update(self, param: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """One SGD step for one parameter, in place on param.data. grad: its gradient (np.ndarray); group: its
        param group (lr, momentum, dampening, weight_decay, nesterov, maximize). torch.optim.SGD's
        algorithm: g = -grad if maximize; g += weight_decay * p; with momentum the buffer
        (self.state[param]['momentum_buffer'], a Tensor) starts at g, then buf = momentum * buf + (1 -
        dampening) * g; nesterov uses g + momentum * buf; p -= lr * g. Use the helpers in
        tiny.optim._pointwise (pw) so float32 rounds like torch. Task `SGD._update`."""
        # BEGIN SOLUTION
        p = param.data
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = pw.add_scaled(g, p, group["weight_decay"])
        momentum = group["momentum"]
        if momentum != 0:
            state = self.state[param]
            buffer = state.get("momentum_buffer")
            if buffer is None:  # the first step starts the buffer at g, without dampening
                state["momentum_buffer"] = Tensor(np.array(g, copy=True))
                velocity = state["momentum_buffer"].data
            else:
                velocity = buffer.data
                velocity[...] = pw.add_scaled(pw.scale(velocity, momentum), g, 1 - group["dampening"])
            g = pw.add_scaled(g, velocity, momentum) if group["nesterov"] else velocity
        p[...] = pw.add_scaled(p, g, -group["lr"])
        # END SOLUTION
