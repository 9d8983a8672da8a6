"""The thin PyTorch twins of tiny, path for path (tiny/ops/reduce.py <-> reference/ops/reduce.py)."""
