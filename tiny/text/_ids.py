"""Token-id checking shared by the tokenizers."""
from __future__ import annotations

import operator


def as_token_id(token: object, where: str, position: int) -> int:
    """An id as a Python int (NumPy integers accepted; bools, floats and strings are not ids)."""
    if isinstance(token, bool):
        raise TypeError(f"{where}: id at position {position} is a bool ({token!r}); expected an integer")
    try:
        return operator.index(token)
    except TypeError:
        raise TypeError(f"{where}: id at position {position} is {token!r} "
                        f"({type(token).__name__}); expected an integer") from None
