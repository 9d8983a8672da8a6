"""torch twin of tiny/optim/lr_scheduler.py: the learning rates a torch scheduler sets, step by step.

`schedule` builds SGD over one dummy parameter per group (lrs), the named scheduler (sub-schedulers of
SequentialLR given as (name, kwargs) specs), and records, before stepping and after each of `steps`
scheduler steps: every group's lr, get_last_lr() and last_epoch. `resume_at` is ignored: torch runs
uninterrupted, the implementation resumes from state dicts.
"""
import torch


def build_scheduler(optimizer, name, kwargs):
    kwargs = dict(kwargs)
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [build_scheduler(optimizer, inner, inner_kwargs)
                                for inner, inner_kwargs in kwargs["schedulers"]]
    return getattr(torch.optim.lr_scheduler, name)(optimizer, **kwargs)


def schedule(*, scheduler, kwargs, lrs=(0.1,), steps=100, resume_at=None):
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in lrs]
    opt = torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)])
    sched = build_scheduler(opt, scheduler, kwargs)
    group_lrs, last_lrs, epochs = [], [], []

    def record():
        group_lrs.append([group["lr"] for group in opt.param_groups])
        last_lrs.append(list(sched.get_last_lr()))
        epochs.append(sched.last_epoch)

    record()
    for _ in range(steps):
        opt.step()
        sched.step()
        record()
    initial = [group["initial_lr"] for group in opt.param_groups]
    return (torch.tensor(group_lrs, dtype=torch.float64), torch.tensor(last_lrs, dtype=torch.float64),
            torch.tensor(epochs, dtype=torch.int64), torch.tensor(initial, dtype=torch.float64))
