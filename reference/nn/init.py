"""torch twins of the deterministic parts of tiny/nn/init.py (random initializers are checked by
their distributions in difftests/test_init.py)."""
import torch


def calculate_gain(nonlinearity, param=None):
    return torch.tensor(torch.nn.init.calculate_gain(nonlinearity, param), dtype=torch.float64)


def fill(size, dtype, initializer, value=None):
    """A tensor of `size` filled by constant_ / zeros_ / ones_."""
    tensor = torch.full(size, 7.0, dtype=getattr(torch, dtype))
    fn = getattr(torch.nn.init, initializer)
    return fn(tensor) if value is None else fn(tensor, value)
