"""torch twins of tiny/quant: torch.quantize_per_tensor / per_channel and torch.ao's observers, with the same
input checks as tiny where torch silently returns meaningless codes (see tiny/quant/qtensor.py)."""
