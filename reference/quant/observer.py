"""torch twins of tiny/quant/observer.py: torch.ao.quantization's MinMaxObserver, MovingAverageMinMaxObserver and
PerChannelMinMaxObserver. Twin checks torch lacks: a NaN or ±inf observation raises ValueError (torch returns a
NaN / infinite scale); tiny's ValueError for torch's NotImplementedError configurations is mapped here too."""
from __future__ import annotations

import warnings

import torch
from torch.ao.quantization import observer as ao

from reference.quant.qtensor import QDTYPES

QSCHEMES = {"per_tensor_affine": torch.per_tensor_affine, "per_tensor_symmetric": torch.per_tensor_symmetric,
            "per_channel_affine": torch.per_channel_affine, "per_channel_symmetric": torch.per_channel_symmetric}
OBSERVERS = {"MinMaxObserver": ao.MinMaxObserver, "MovingAverageMinMaxObserver": ao.MovingAverageMinMaxObserver,
             "PerChannelMinMaxObserver": ao.PerChannelMinMaxObserver}


def make_observer(observer: str, **config):
    """torch's observer from plain config (dtype/qscheme by name); NotImplementedError becomes ValueError."""
    config = dict(config)
    if "dtype" in config:
        config["dtype"] = QDTYPES.get(config["dtype"], config["dtype"])
    if "qscheme" in config:
        config["qscheme"] = QSCHEMES[config["qscheme"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return OBSERVERS[observer](**config)
        except NotImplementedError as exc:
            raise ValueError(str(exc)) from None


def observe(*inputs, observer: str, **config):
    """Feed `inputs` in order; (min_val, max_val, scale, zero_point) as torch's observer computes them."""
    obs = make_observer(observer, **config)
    for x in inputs:
        if x.numel() and not torch.isfinite(x.float()).all():
            raise ValueError(f"{observer}: the observed tensor contains NaN or ±inf")
        obs(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scale, zero_point = obs.calculate_qparams()
    return obs.min_val, obs.max_val, scale, zero_point
