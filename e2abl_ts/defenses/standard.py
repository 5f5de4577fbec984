"""No defense: plain cross-entropy training of the same backbone, same loop."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._estimator import AVERAGE_LAST_CONSTRAINT, COMMON_CONSTRAINTS, BaseDeepClassifier, SeriesInput
from .._trainer import Objective, train


class CrossEntropyObjective(Objective):
    """Plain cross-entropy on a fixed set of rows (every row when ``rows`` is None)."""

    def __init__(self, rows: torch.Tensor | None = None):
        self.rows = rows

    def epoch_rows(self, epoch):
        return self.rows

    def batch_loss(self, net, xb, yb, idx):
        loss = F.cross_entropy(net(xb), yb)
        return loss, {"loss": loss.detach()}


class StandardMixin:
    _parameter_constraints: dict = {**COMMON_CONSTRAINTS, "average_last": AVERAGE_LAST_CONSTRAINT}

    def _fit_module(self, backbone, X, y, generator):
        objective = CrossEntropyObjective()
        self.history_ = train(backbone, X, y, objective, n_epochs=self.n_epochs, batch_size=self.batch_size,
                              optimizer=self._optimizer(objective.param_groups(backbone)), generator=generator,
                              verbose=self.verbose, desc=type(self).__name__,
                              monitor=self._monitor, lr_schedule=self.lr_schedule,
                              average_last=self.average_last)
        return backbone


class StandardClassifier(StandardMixin, SeriesInput, BaseDeepClassifier):
    """No defense: plain cross-entropy training, the reference every defense is compared with.

    Same backbones, input handling, loop and parameters as :class:`e2abl_ts.E2ABLClassifier`
    (see there); ``history_`` holds the per-epoch mean loss.
    """

    def __init__(self, backbone="resnet34", *, n_epochs=60, backbone_kwargs=None, batch_size=64, lr=0.01,
                 lr_schedule="constant", average_last=0.0, optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                 device="auto", random_state=None, verbose=False):
        self.backbone = backbone
        self.n_epochs = n_epochs
        self.backbone_kwargs = backbone_kwargs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.average_last = average_last
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
