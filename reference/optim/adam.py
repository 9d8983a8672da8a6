"""torch twin of tiny/optim/adam.py: torch.optim.Adam driven through a gradient sequence."""
from reference.optim.optimizer import trajectory as _trajectory


def trajectory(*arrays, **kwargs):
    return _trajectory(*arrays, optimizer="Adam", **kwargs)
