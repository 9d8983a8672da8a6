"""Functional forms of every Tensor op; each module pairs Functions with their wrappers."""
