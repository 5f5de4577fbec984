"""Poisoning attacks as pipeline steps (``fit_resample``) with ``apply_trigger`` for ASR."""

from ._base import BaseAttack
from .static import StaticTriggerAttack

__all__ = ["BaseAttack", "StaticTriggerAttack"]
