"""The trusted side: run the torch twin, draw the random upstream gradients, compare."""
from __future__ import annotations

import numpy as np
import torch

from difftests.cases import Case
from difftests.execute import Backend, Outcome, run_case
from difftests.registry import Pair

# One intra-op thread: the reference runs tiny inputs, and under pytest-xdist torch's thread pool
# makes small kernels ~1000x slower (a 6 µs batch_norm took 30 ms with the default pool).
torch.set_num_threads(1)


def torch_backend(pair: Pair) -> Backend:
    fn = pair.reference()

    def to_tensor(a: np.ndarray, requires_grad: bool) -> torch.Tensor:
        return torch.tensor(a, requires_grad=requires_grad)

    def grad_of(t: torch.Tensor):
        return None if t.grad is None else t.grad.detach().numpy().copy()

    return Backend(
        name="torch",
        call=fn,
        to_tensor=to_tensor,
        to_numpy=lambda t: t.detach().numpy().copy(),
        is_tensor=lambda o: isinstance(o, torch.Tensor),
        backward=lambda out, g: out.backward(gradient=torch.from_numpy(g)),
        grad_of=grad_of,
    )


def upstream_gradients(pair: Pair, case: Case, outputs: list, seed: int) -> list | None:
    """A random gradient (standard normal) per floating-point output; ones would hide transposes."""
    if not pair.differentiable:
        return None
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(o.shape).astype(o.dtype) if o.dtype.kind == "f" else None
             for o in outputs]
    return grads if any(g is not None for g in grads) else None


def _as_float64(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float32:
        return value.astype(np.float64)
    return value


def run_truth(pair: Pair, case: Case, upstream: list | None) -> Outcome | None:
    """torch on the float64 image of a float32 case (exact: every float32 is a float64), driven by the
    same upstream gradients: the truth float32 results are judged against. None if it raises."""
    case64 = Case(tuple(_as_float64(a) for a in case.args), case.kwargs, grad=case.grad, label=case.label)
    up64 = None if upstream is None else [_as_float64(g) for g in upstream]
    try:
        outcome = run_case(torch_backend(pair), case64, up64)
    except Exception:  # noqa: BLE001 — no truth: fall back to torch's float32 result
        return None
    return None if outcome.raised or outcome.not_implemented else outcome


def run_reference(pair: Pair, case: Case, seed: int) -> tuple[Outcome, list | None]:
    """torch's outputs and gradients for `case`, and the upstream gradients used."""
    backend = torch_backend(pair)
    forward_only = run_case(backend, case, None)
    if forward_only.raised:
        return forward_only, None
    upstream = upstream_gradients(pair, case, forward_only.outputs, seed)
    if upstream is None:
        return forward_only, None
    return run_case(backend, case, upstream), upstream
