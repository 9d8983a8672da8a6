"""torch twins of tiny/data: torch.utils.data's datasets, samplers, collation and DataLoader."""
