"""torch twin of tiny/nn/utils/clip_grad.py: clip the gradients of parameters holding `grads`.

Each array becomes the .grad of a zero parameter of its shape (None for the indices in `none_at`);
the results are the returned total norm (clip_grad_norm_) and the clipped gradients, in order.
"""
import torch


def _parameters(grads, none_at):
    params = []
    for i, g in enumerate(grads):
        p = torch.nn.Parameter(torch.zeros_like(g))
        p.grad = None if i in none_at else g.clone()
        params.append(p)
    return params


def _clipped(params):
    return tuple(p.grad for p in params if p.grad is not None)


def clip_grad_norm(*grads, max_norm, norm_type=2.0, error_if_nonfinite=False, none_at=(), single=False):
    params = _parameters(grads, none_at)
    total = torch.nn.utils.clip_grad_norm_(params[0] if single else params, max_norm, norm_type=norm_type,
                                           error_if_nonfinite=error_if_nonfinite)
    return (total,) + _clipped(params)


def clip_grad_value(*grads, clip_value, none_at=(), single=False):
    params = _parameters(grads, none_at)
    result = torch.nn.utils.clip_grad_value_(params[0] if single else params, clip_value)
    if result is not None:
        raise AssertionError("torch's clip_grad_value_ returns None")
    return _clipped(params)
