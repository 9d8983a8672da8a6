"""Every error tiny raises is re-raised as one class inheriting RuntimeError, ValueError, TypeError and
IndexError, hoping to match whatever torch raises (error parity must not accept it)."""
import tiny
from tiny import *  # noqa: F401,F403


class Chimera(RuntimeError, ValueError, TypeError, IndexError):
    pass


def _chimeric(method):
    def wrapped(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            raise Chimera(str(exc)) from None
    return wrapped


class _Tensor(tiny.Tensor):
    pass


for _name in ("__add__", "__radd__", "__sub__", "__mul__", "__matmul__", "sum", "mean", "reshape", "transpose",
              "permute", "squeeze", "unsqueeze", "__getitem__", "masked_fill", "max", "argmax"):
    setattr(_Tensor, _name, _chimeric(getattr(tiny.Tensor, _name)))
cat = _chimeric(tiny.cat)
stack = _chimeric(tiny.stack)


def tensor(data, dtype=None, requires_grad=False):
    return _Tensor(tiny.tensor(data, dtype=dtype).data, requires_grad=requires_grad)
