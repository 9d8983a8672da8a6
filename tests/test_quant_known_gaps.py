"""Known differences of tiny.quant from torch, recorded as strict xfails (they fail loudly once fixed)."""
from __future__ import annotations

import numpy as np
import pytest
import torch


@pytest.mark.xfail(strict=True, reason="known gap: on activations that land on exact rounding ties (values on a "
                   "coarse grid) tiny's dynamic activation codes differ from fbgemm's by one code in some layers")
def test_known_gap_exact_tie_activations():
    """Recorded, not hidden: x = [-0.005, 0.005] with weight [[1]] gives torch [-0.00494118, 0.00501961] (x86
    engine) and tiny [-0.00494118, 0.00494118]. When tiny matches, this strict xfail fails and must be removed."""
    import tiny
    from tiny.quant import DynamicQuantizedLinear
    x = np.array([[-0.005], [0.005]], np.float32)
    linear = tiny.nn.Linear(1, 1, bias=False)
    linear.weight.data[...] = 1.0
    got = DynamicQuantizedLinear.from_float(linear)(tiny.tensor(x)).numpy()
    torch_linear = torch.nn.Linear(1, 1, bias=False)
    torch_linear.weight.data[...] = 1.0
    quantized = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(torch_linear), {torch.nn.Linear},
                                                        dtype=torch.qint8)
    want = quantized(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_array_equal(got, want)
