"""The image estimators: the time-series estimators with image input handling swapped in.

Training, E2ABL's logic and every defense are the time-series ones (one trainer core); only
input checks and the networks' dimension (2D convolutions) differ.
"""

from __future__ import annotations

from ..classifier import E2ABLClassifier
from ..defenses import ABLClassifier, FinePruningClassifier, NADClassifier, StandardClassifier
from ._validation import check_images

_INPUT_DOC = """

    Image input
    -----------
    ``X`` is ``(n_images, n_channels, height, width)`` or grayscale ``(n_images, height, width)``,
    any numeric dtype (uint8 or floats; each channel is standardised with the training set's
    mean and standard deviation), at least 8 x 8 pixels. Backbones: ``"resnet18"`` and
    ``"resnet34"`` in their CIFAR form (3 x 3 stride-1 stem, no max-pooling), or a factory
    returning a 2D :class:`e2abl_ts.networks.StagedBackbone`. On CUDA the network runs in
    channels_last memory format with bfloat16 autocast; on a CPU in float32.
    The parameters are those of the time-series estimator (see there).
"""


class ImageInput:
    """Input handling for images: swaps :class:`e2abl_ts._estimator.SeriesInput`."""

    _data_dim = 2
    _amp = True

    def _check_X(self, X, input_name: str = "X"):
        return check_images(X, input_name=input_name)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class E2ABLImageClassifier(ImageInput, E2ABLClassifier):
    __doc__ = ("End-to-End Anti-Backdoor Learning (E2ABL) for images: the dual-head trainer of "
               ":class:`e2abl_ts.E2ABLClassifier` on 2D backbones." + _INPUT_DOC)


class StandardImageClassifier(ImageInput, StandardClassifier):
    __doc__ = "No defense, for images: plain cross-entropy training (:class:`e2abl_ts.StandardClassifier`)." + _INPUT_DOC


class ABLImageClassifier(ImageInput, ABLClassifier):
    __doc__ = "Anti-Backdoor Learning for images (:class:`e2abl_ts.defenses.ABLClassifier`)." + _INPUT_DOC


class NADImageClassifier(ImageInput, NADClassifier):
    __doc__ = "Neural Attention Distillation for images (:class:`e2abl_ts.defenses.NADClassifier`)." + _INPUT_DOC


class FinePruningImageClassifier(ImageInput, FinePruningClassifier):
    __doc__ = "Fine-Pruning for images (:class:`e2abl_ts.defenses.FinePruningClassifier`)." + _INPUT_DOC
