"""tiny.accel: the same computation at three levels — naive loops, vectorized NumPy, fused/tiled kernels —
each difftested against torch (difftests/pairs/accel.py) and timed by `python -m perf accel`."""
from tiny.accel.attention import FusedAttention, attention_naive, attention_unfused, fused_attention
from tiny.accel.conv import Im2colConv2d, conv2d_im2col, conv2d_naive
from tiny.accel.matmul import TiledMatMul, matmul_naive, matmul_vectorized, tiled_matmul
from tiny.accel.pointwise import (FusedGELU, FusedLayerNorm, FusedSoftmax, fused_gelu, fused_layer_norm, fused_softmax,
                                  gelu_naive, gelu_unfused, layer_norm_naive, layer_norm_unfused, softmax_naive,
                                  softmax_unfused)

__all__ = ["matmul_naive", "matmul_vectorized", "tiled_matmul", "conv2d_naive", "conv2d_im2col",
           "gelu_naive", "gelu_unfused", "fused_gelu", "layer_norm_naive", "layer_norm_unfused", "fused_layer_norm",
           "softmax_naive", "softmax_unfused", "fused_softmax", "attention_naive", "attention_unfused",
           "fused_attention", "TiledMatMul", "Im2colConv2d", "FusedGELU", "FusedLayerNorm", "FusedSoftmax",
           "FusedAttention"]
