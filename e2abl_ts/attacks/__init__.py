"""Poisoning attacks as pipeline steps (``fit_resample``) with ``apply_trigger`` for ASR."""

from ._base import BaseAttack
from .static import StaticTriggerAttack
from .timetrojan import TimeTrojanDEAttack, TimeTrojanFGSMAttack
from .tsba import TSBAAttack

__all__ = ["BaseAttack", "StaticTriggerAttack", "TSBAAttack", "TimeTrojanDEAttack", "TimeTrojanFGSMAttack"]
