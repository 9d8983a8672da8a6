"""`AdamW` (torch.optim.AdamW): Adam with decoupled weight decay, p = p * (1 - lr * weight_decay)
before the Adam update, instead of an L2 term in the gradient. Default weight_decay is 1e-2."""
from __future__ import annotations

from typing import Any, Iterable

from tiny.optim.adam import Adam


class AdamW(Adam):
    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As torch: a loaded AdamW always decouples its weight decay, whatever the checkpoint says."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
