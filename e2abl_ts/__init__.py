"""e2abl_ts: train classifiers that stay clean on backdoor-poisoned data (E2ABL), time series first."""

from .classifier import E2ABLClassifier
from .defenses import StandardClassifier

__version__ = "0.1.0"
__all__ = ["E2ABLClassifier", "StandardClassifier", "__version__"]
