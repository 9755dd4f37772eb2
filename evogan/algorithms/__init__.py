"""Algorithms: the ask/tell protocol (`base`) and the built-in algorithms, each registered by
name when its module is imported (`evogan.registry` imports them on first use)."""

from evogan.core.algorithm import Algorithm

__all__ = ["Algorithm"]
