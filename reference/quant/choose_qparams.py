"""torch twin of tiny/quant/choose_qparams.py: torch._choose_qparams_per_tensor (ATen's ChooseQuantizationParams,
quint8), the activation qparams of the dynamic quantized Linear."""
from __future__ import annotations

import torch


def choose_qparams_per_tensor(input, reduce_range=False):
    return torch._choose_qparams_per_tensor(input, reduce_range)


def choose_qparams_outputs(input, reduce_range=False):
    """(scale float64 (1,), zero point int64 (1,))."""
    scale, zero_point = choose_qparams_per_tensor(input, reduce_range)
    return torch.tensor([scale], dtype=torch.float64), torch.tensor([zero_point], dtype=torch.int64)
