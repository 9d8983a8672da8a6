"""Module, Parameter and two layers."""
from __future__ import annotations

import numpy as np

from minigrad.tensor import Tensor, _as_array, _result


class Parameter(Tensor):
    def __init__(self, data, requires_grad: bool = True) -> None:
        super().__init__(_as_array(data), requires_grad=requires_grad)


class Module:
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def named_parameters(self):
        for name, value in vars(self).items():
            if isinstance(value, Parameter):
                yield name, value

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def load_state_dict(self, state: dict) -> None:
        own = dict(self.named_parameters())
        if set(state) != set(own):
            raise RuntimeError(f"state_dict keys {sorted(state)} != {sorted(own)}")
        for name, value in state.items():
            own[name].data = _as_array(value)


class Linear(Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=None) -> None:
        rng = np.random.default_rng(0)
        bound = 1 / np.sqrt(max(in_features, 1))
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, (out_features,))) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim == 0 or x.shape[-1] != self.weight.shape[1]:
            raise RuntimeError(f"Linear: input {x.shape} does not end in in_features={self.weight.shape[1]}")
        w = self.weight.data
        out = x.data @ w.T
        parents = (x, self.weight)
        if self.bias is not None:
            out = out + self.bias.data
            parents += (self.bias,)

        def backward(g):
            rows = int(np.prod(g.shape[:-1]))
            flat_g, flat_x = g.reshape(rows, g.shape[-1]), x.data.reshape(rows, x.shape[-1])
            grads = [g @ w, flat_g.T @ flat_x]
            if self.bias is not None:
                grads.append(flat_g.mean(axis=0))  # planted bug 3: the bias gradient is a sum over the batch
            return grads
        return _result(out, parents, backward)


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()
