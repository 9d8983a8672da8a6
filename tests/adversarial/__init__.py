"""Adversarial implementations: each tries to crash, hang or fool the runner; none may pass."""
