"""Deliberately broken implementations: the difftest runner must name exactly their bugs."""
