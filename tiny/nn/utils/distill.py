"""Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network"):

    loss = alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T))   (mean over the batch)
         + (1 - alpha) * cross_entropy(student, targets)

The soft term is scaled by T^2 because its gradients scale as 1/T^2 (the paper, section 2), so the balance
between the two terms does not change with the temperature. The teacher is detached (it is not trained).
A composition of tiny's differentiable ops (log_softmax, kl_div, cross_entropy): gradients come from autograd.
"""
from __future__ import annotations

from tiny.nn import functional as F
from tiny.tensor import Tensor

__all__ = ["distillation_loss"]


def distillation_loss(student_logits: Tensor, teacher_logits: Tensor, targets: Tensor, temperature: float = 1.0,
                      alpha: float = 0.5) -> Tensor:
    """student_logits, teacher_logits (B, C); targets (B,) class indices -> a 0-d loss.

    alpha weighs the soft (teacher) term, 1 - alpha the hard (label) term; temperature > 0. Task `distillation_loss`."""
    if not temperature > 0:
        raise ValueError(f"distillation_loss: temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must lie in [0, 1], got {alpha}")
    if tuple(student_logits.shape) != tuple(teacher_logits.shape) or student_logits.ndim != 2:
        raise ValueError(f"distillation_loss: student logits {tuple(student_logits.shape)} and teacher logits "
                         f"{tuple(teacher_logits.shape)} must have the same shape (B, C)")
    # BEGIN SOLUTION
    log_student = F.log_softmax(student_logits / temperature, dim=-1)
    log_teacher = F.log_softmax(teacher_logits.detach() / temperature, dim=-1)
    soft = F.kl_div(log_student, log_teacher, reduction="batchmean", log_target=True)
    hard = F.cross_entropy(student_logits, targets)
    return soft * (alpha * temperature ** 2) + hard * (1.0 - alpha)
    # END SOLUTION
