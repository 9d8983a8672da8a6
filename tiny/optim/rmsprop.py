"""`RMSprop` (torch.optim.RMSprop): divide the gradient by a running RMS of recent gradients.

For each parameter with a gradient g (negated when maximize):
    g = g + weight_decay * p                          if weight_decay != 0
    s = alpha * s + (1 - alpha) * g * g               state['square_avg']
    a = a + (1 - alpha) * (g - a)                     state['grad_avg'] (centered only)
    avg = sqrt(s - a * a) if centered else sqrt(s);   avg = avg + eps
    b = momentum * b + g / avg;  p = p - lr * b       state['momentum_buffer'] (momentum > 0)
    p = p - lr * g / avg                              (momentum == 0)
state['step'] counts the updates (it does not enter the formula).
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from tiny.optim import _pointwise as pw
from tiny.optim.optimizer import Optimizer, new_step_count, zeros_like_param
from tiny.tensor import Tensor


class RMSprop(Optimizer):
    def __init__(self, params: Iterable, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, *,
                 maximize: bool = False) -> None:
        checks = {"learning rate": lr, "epsilon value": eps, "momentum value": momentum,
                  "weight_decay value": weight_decay, "alpha value": alpha}
        for what, value in checks.items():
            if not 0.0 <= value:
                raise ValueError(f"RMSprop: invalid {what}: {value} (expected >= 0)")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Tensor]:
        state = self.state[param]
        if not state:
            state["step"] = new_step_count()
            state["square_avg"] = zeros_like_param(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = zeros_like_param(param)
            if group["centered"]:
                state["grad_avg"] = zeros_like_param(param)
        return state

    def _update(self, param: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """One RMSprop step for one parameter, in place. State from self._init_state: step, square_avg (and
        grad_avg if centered, momentum_buffer if momentum > 0). torch.optim.RMSprop: g (negated if
        maximize) + weight_decay * p; square_avg = alpha * sa + (1 - alpha) * g * g; avg = sqrt(sa -
        grad_avg**2) if centered (grad_avg = lerp(grad_avg, g, 1 - alpha)) else sqrt(sa); avg += eps; with
        momentum buf = momentum * buf + g / avg and p -= lr * buf, else p -= lr * g / avg. Task
        `RMSprop._update`."""
        # BEGIN SOLUTION
        state = self._init_state(param, group)
        p, square_avg = param.data, state["square_avg"].data
        g = -grad if group["maximize"] else grad
        alpha = group["alpha"]
        state["step"].data[...] += 1
        if group["weight_decay"] != 0:
            g = pw.add_scaled(g, p, group["weight_decay"])
        square_avg[...] = pw.addcmul(pw.scale(square_avg, alpha), g, g, 1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"].data
            grad_avg[...] = pw.lerp(grad_avg, g, 1 - alpha)
            avg = np.sqrt(pw.addcmul(square_avg, grad_avg, grad_avg, -1))
        else:
            avg = np.sqrt(square_avg)
        avg = pw.add_scalar(avg, group["eps"])
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"].data
            buffer[...] = pw.addcdiv(pw.scale(buffer, group["momentum"]), g, avg, 1)
            p[...] = pw.add_scaled(p, buffer, -group["lr"])
        else:
            p[...] = pw.addcdiv(p, g, avg, -group["lr"])
        # END SOLUTION
