"""torch twin of tiny/optim/rmsprop.py: torch.optim.RMSprop driven through a gradient sequence."""
from reference.optim.optimizer import trajectory as _trajectory


def trajectory(*arrays, **kwargs):
    return _trajectory(*arrays, optimizer="RMSprop", **kwargs)
