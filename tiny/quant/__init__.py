"""tiny.quant: INT8 quantization with torch.ao's arithmetic, stored as real integer arrays.

- qtypes: `qint8`, `quint8`, `qint32` and the qschemes (`per_tensor_affine`, ...)
- qtensor: `QuantizedTensor`, `quantize_per_tensor`, `quantize_per_channel`, `dequantize`, `int_repr`
- observer: `MinMaxObserver`, `MovingAverageMinMaxObserver`, `PerChannelMinMaxObserver`, `calculate_qparams`
- choose_qparams: `choose_qparams_per_tensor` (the dynamic activation qparams of torch's fbgemm kernels)
- linear: `DynamicQuantizedLinear`, `QuantizedLinear` (int8 weights, exact integer accumulation)
- convert: `quantize_dynamic`, `quantize_static`, `model_size_bytes`
"""
from tiny.quant import choose_qparams as _choose_qparams_module  # noqa: F401
from tiny.quant import convert, linear, observer, qtensor, qtypes
from tiny.quant.choose_qparams import choose_qparams_per_tensor
from tiny.quant.convert import model_size_bytes, quantize_dynamic, quantize_static
from tiny.quant.linear import DynamicQuantizedLinear, QuantizedLinear
from tiny.quant.observer import (MinMaxObserver, MovingAverageMinMaxObserver, ObserverConfigError,
                                 PerChannelMinMaxObserver, calculate_qmin_qmax, calculate_qparams)
from tiny.quant.qtensor import QuantizedTensor, dequantize, int_repr, quantize_per_channel, quantize_per_tensor
from tiny.quant.qtypes import (QDType, QScheme, per_channel_affine, per_channel_symmetric, per_tensor_affine,
                               per_tensor_symmetric, qint8, qint32, quint8)

__all__ = ["QDType", "QScheme", "qint8", "quint8", "qint32", "per_tensor_affine", "per_tensor_symmetric",
           "per_channel_affine", "per_channel_symmetric", "QuantizedTensor", "quantize_per_tensor",
           "quantize_per_channel", "dequantize", "int_repr", "MinMaxObserver", "MovingAverageMinMaxObserver",
           "PerChannelMinMaxObserver", "calculate_qparams", "calculate_qmin_qmax", "ObserverConfigError",
           "choose_qparams_per_tensor", "DynamicQuantizedLinear", "QuantizedLinear", "quantize_dynamic",
           "quantize_static", "model_size_bytes"]
