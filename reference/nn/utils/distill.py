"""torch twin of tiny/nn/utils/distill.py: Hinton et al.'s distillation loss written with torch.nn.functional."""
from __future__ import annotations

import torch.nn.functional as F


def distillation_loss(student_logits, teacher_logits, targets, temperature=1.0, alpha=0.5):
    if not temperature > 0:
        raise ValueError(f"distillation_loss: temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must lie in [0, 1], got {alpha}")
    if student_logits.shape != teacher_logits.shape or student_logits.dim() != 2:
        raise ValueError("distillation_loss: student and teacher logits must have the same shape (B, C)")
    soft = F.kl_div(F.log_softmax(student_logits / temperature, dim=-1),
                    F.log_softmax(teacher_logits.detach() / temperature, dim=-1), reduction="batchmean",
                    log_target=True)
    return alpha * temperature ** 2 * soft + (1 - alpha) * F.cross_entropy(student_logits, targets)
