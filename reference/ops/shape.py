"""torch twins of tiny/ops/shape.py."""


def reshape(x, shape):
    return x.reshape(shape)


def view(x, shape):
    return x.view(shape)


def transpose(x, dim0, dim1):
    return x.transpose(dim0, dim1)


def permute(x, dims):
    return x.permute(dims)


def unsqueeze(x, dim):
    return x.unsqueeze(dim)


def squeeze(x, dim=None):
    return x.squeeze() if dim is None else x.squeeze(dim)


def flatten(x, start_dim=0, end_dim=-1):
    return x.flatten(start_dim, end_dim)


def expand(x, sizes):
    return x.expand(*sizes)


def matrix_T(x):
    return x.T


def batch_mT(x):
    return x.mT
