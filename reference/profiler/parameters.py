"""torch twin of tiny/profiler/parameters.py: the torch idiom."""


def count_parameters(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
