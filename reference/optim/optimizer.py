"""torch twin of tiny/optim/optimizer.py: drive a torch.optim optimizer through a gradient sequence.

`trajectory` is the reference side of the optimizer difftests: the same parameters, the same gradient
at every step, and torch's optimizer; it returns every parameter's values after each step and the
final optimizer state (state_dict order: parameter index, then state name). It never resumes from a
checkpoint: `resume_at` is accepted (and ignored) so the implementation's interrupted run is compared
with torch's uninterrupted one.
"""
import torch


def build_param_groups(params, groups):
    """The `params` argument: the parameters, or [{'params': [...], **options}] for each group."""
    if groups is None:
        return params
    return [{"params": [params[i] for i in indices], **options} for indices, options in groups]


def trajectory(*arrays, optimizer, options, groups=None, none_grads=(), steps=25, resume_at=None):
    """arrays = (p0_0, grads_0, p0_1, grads_1, ...): initial values and (steps, *shape) gradients."""
    optimizer_class = getattr(torch.optim, optimizer)
    params = [torch.nn.Parameter(p0.detach().clone()) for p0 in arrays[0::2]]
    grads = arrays[1::2]
    opt = optimizer_class(build_param_groups(params, groups), **options)
    history = [[] for _ in params]
    for t in range(steps):
        for i, (p, g) in enumerate(zip(params, grads)):
            p.grad = None if (i, t) in none_grads else g[t].clone()
        opt.step()
        for i, p in enumerate(params):
            history[i].append(p.detach().clone())
    state = opt.state_dict()["state"]
    final_state = [state[index][name] for index in sorted(state) for name in sorted(state[index])]
    return tuple(torch.stack(h) for h in history) + tuple(final_state)
