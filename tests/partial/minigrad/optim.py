"""SGD with momentum, dampening, nesterov and weight decay (no `maximize`, no parameter groups)."""
from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor


class SGD:
    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, maximize: bool = False) -> None:
        for name, value in (("learning rate", lr), ("momentum value", momentum),
                            ("weight_decay value", weight_decay)):
            if value < 0:
                raise ValueError(f"Invalid {name}: {value}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if any(isinstance(p, dict) for p in params):
            raise NotImplementedError("SGD: parameter groups")
        if not all(isinstance(p, Tensor) for p in params):
            raise TypeError("SGD optimizes Tensors only")
        if maximize:
            raise NotImplementedError("SGD: maximize")
        self.params = params
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buffers: dict[int, np.ndarray] = {}

    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad.data.astype(np.float32)
            if self.weight_decay:
                g = g + np.float32(self.weight_decay) * p.data
            if self.momentum:
                if i in self.buffers:
                    buf = np.float32(self.momentum) * self.buffers[i] + np.float32(1 - self.dampening) * g
                else:
                    buf = g.copy()
                self.buffers[i] = buf
                g = g + np.float32(self.momentum) * buf if self.nesterov else buf
            p.data = (p.data - np.float32(self.lr) * g).astype(np.float32)

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def state_dict(self) -> dict:
        return {"state": {i: {"momentum_buffer": Tensor(b.copy())} for i, b in sorted(self.buffers.items())},
                "param_groups": [{"lr": self.lr, "momentum": self.momentum, "params": list(range(len(self.params)))}]}
