"""Pair declarations, one module per area (torch-free)."""
