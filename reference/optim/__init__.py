"""torch twins of tiny/optim: torch.optim optimizers and lr schedulers driven like the difftests do."""
