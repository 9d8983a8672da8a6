"""torch twin of tiny/optim/adamw.py: torch.optim.AdamW driven through a gradient sequence."""
from reference.optim.optimizer import trajectory as _trajectory


def trajectory(*arrays, **kwargs):
    return _trajectory(*arrays, optimizer="AdamW", **kwargs)
