"""Baseline defenses: each a loss, masks and a schedule over the trainer core."""

from .abl import ABLClassifier
from .nad import NADClassifier
from .pruning import FinePruningClassifier
from .standard import StandardClassifier

__all__ = ["ABLClassifier", "FinePruningClassifier", "NADClassifier", "StandardClassifier"]
