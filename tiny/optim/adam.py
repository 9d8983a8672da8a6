"""`Adam` (torch.optim.Adam): moment estimates with bias correction; optional AMSGrad.

For each parameter with a gradient g (negated when maximize), at step t (state['step'], from 1):
    g = g + weight_decay * p                     (L2 penalty; or, when decoupled_weight_decay,
                                                  p = p * (1 - lr * weight_decay) as AdamW does)
    m = m + (1 - beta1) * (g - m)                 state['exp_avg']
    v = beta2 * v + (1 - beta2) * g * g           state['exp_avg_sq']
    v_max = max(v_max, v)                         state['max_exp_avg_sq'] (amsgrad only; used for v)
    p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
The bias corrections are computed in Python floats, the rest in the parameter's dtype, in torch's order.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from tiny.optim import _pointwise as pw
from tiny.optim.optimizer import Optimizer, new_step_count, zeros_like_param
from tiny.tensor import Tensor


class Adam(Optimizer):
    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False, decoupled_weight_decay: bool = False) -> None:
        name = type(self).__name__
        if not 0.0 <= lr:
            raise ValueError(f"{name}: invalid learning rate: {lr} (expected lr >= 0)")
        if not 0.0 <= eps:
            raise ValueError(f"{name}: invalid epsilon value: {eps} (expected eps >= 0)")
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"{name}: invalid beta parameter at index {i}: {betas[i]} "
                                 "(expected 0 <= beta < 1)")
        if not 0.0 <= weight_decay:
            raise ValueError(f"{name}: invalid weight_decay value: {weight_decay} (expected >= 0)")
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError(f"{name}: betas must be either both floats or both Tensors, got {betas!r} "
                             "(write 0.0 rather than 0)")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _init_state(self, param: Tensor, group: dict[str, Any]) -> dict[str, Tensor]:
        state = self.state[param]
        if not state:
            state["step"] = new_step_count()
            state["exp_avg"] = zeros_like_param(param)
            state["exp_avg_sq"] = zeros_like_param(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like_param(param)
        return state

    def _update(self, param: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        """One Adam/AdamW step for one parameter, in place. State from self._init_state: step (0-d Tensor),
        exp_avg, exp_avg_sq (and max_exp_avg_sq with amsgrad). torch.optim.Adam: g (negated if maximize);
        weight decay added to g, or decoupled (p *= 1 - lr * wd) when group['decoupled_weight_decay']; m =
        lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g * g; p -= lr / (1 - beta1**step) * m /
        (sqrt(v) / sqrt(1 - beta2**step) + eps), with v replaced by its running max under amsgrad. Task
        `Adam._update`."""
        # BEGIN SOLUTION
        state = self._init_state(param, group)
        p, m, v = param.data, state["exp_avg"].data, state["exp_avg_sq"].data
        g = -grad if group["maximize"] else grad
        beta1, beta2 = group["betas"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        state["step"].data[...] += 1
        step = float(state["step"].data)
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                p[...] = pw.scale(p, 1 - lr * weight_decay)
            else:
                g = pw.add_scaled(g, p, weight_decay)
        m[...] = pw.lerp(m, g, 1 - beta1)
        v[...] = pw.addcmul(pw.scale(v, beta2), g, g, 1 - beta2)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"].data
            np.maximum(v_max, v, out=v_max)
            v = v_max
        denominator = pw.add_scalar(pw.div_scalar(np.sqrt(v), bias_correction2_sqrt), group["eps"])
        p[...] = pw.addcdiv(p, m, denominator, -step_size)
        # END SOLUTION
