"""torch twins of tiny/data/collate.py: torch.utils.data.default_collate / default_convert."""
from torch.utils.data import default_collate, default_convert  # noqa: F401
