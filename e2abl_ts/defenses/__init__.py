"""Baseline defenses: each a loss, masks and a schedule over the trainer core."""

from .standard import StandardClassifier

__all__ = ["StandardClassifier"]
