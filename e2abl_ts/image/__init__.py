"""The image adapter: E2ABL and the baseline defenses on images, through the same trainer core.

Estimators take ``(n_images, n_channels, height, width)`` (or grayscale ``(n, h, w)``) arrays;
backbones are the 2D forms of ``"resnet18"`` / ``"resnet34"`` (CIFAR stem) or a factory
returning a 2D :class:`e2abl_ts.networks.StagedBackbone`. Attacks have the time-series attacks'
contract (``fit_resample``, ``apply_trigger``, ``make_attack_set``, ``poison_indices_``).
"""

from ._estimators import (
    ABLImageClassifier,
    E2ABLImageClassifier,
    FinePruningImageClassifier,
    NADImageClassifier,
    StandardImageClassifier,
)
from .attacks import BadNetsAttack, BlendAttack, LabelConsistentAttack, SIGAttack, TrojanAttack
from .datasets import load_digits_images, load_fashion_mnist, load_image_dataset

__all__ = [
    "ABLImageClassifier", "BadNetsAttack", "BlendAttack", "E2ABLImageClassifier", "FinePruningImageClassifier",
    "LabelConsistentAttack", "NADImageClassifier", "SIGAttack", "StandardImageClassifier", "TrojanAttack",
    "load_digits_images", "load_fashion_mnist", "load_image_dataset",
]
