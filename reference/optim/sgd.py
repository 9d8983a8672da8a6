"""torch twin of tiny/optim/sgd.py: torch.optim.SGD driven through a gradient sequence."""
from reference.optim.optimizer import trajectory as _trajectory


def trajectory(*arrays, **kwargs):
    return _trajectory(*arrays, optimizer="SGD", **kwargs)
