"""Anti-Backdoor Learning (ABL, Li et al., NeurIPS 2021) on the shared trainer core."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from .._e2abl import n_from_rate
from .._estimator import COMMON_CONSTRAINTS, BaseDeepClassifier, SeriesInput
from .._trainer import Objective
from ._common import per_sample_loss, run_phase
from .standard import CrossEntropyObjective


class LGAObjective(Objective):
    """ABL's isolation phase: local gradient ascent, ``sign(loss - gamma) * loss`` on the batch mean.

    Once a batch's loss falls under ``gamma`` the sign flips and training pushes it back up,
    so clean samples stay near ``gamma`` while backdoored ones, learned faster, fall below.
    """

    def __init__(self, gamma: float):
        self.gamma = gamma

    def batch_loss(self, net, xb, yb, idx):
        loss = F.cross_entropy(net(xb), yb)
        return torch.sign(loss - self.gamma) * loss, {"loss": loss.detach()}


class UnlearningObjective(Objective):
    """ABL's last phase: gradient ascent (negated cross-entropy) on the isolated rows."""

    def __init__(self, rows: torch.Tensor):
        self.rows = rows

    def epoch_rows(self, epoch):
        return self.rows

    def batch_loss(self, net, xb, yb, idx):
        loss = F.cross_entropy(net(xb), yb)
        return -loss, {"isolated_loss": loss.detach()}


class ABLClassifier(SeriesInput, BaseDeepClassifier):
    """Anti-Backdoor Learning: isolate the lowest-loss samples, train on the rest, unlearn them.

    Three phases on the shared loop: ``isolation_epochs`` of LGA training on all data (the
    loss ``sign(loss - lga_gamma) * loss`` on each batch mean, as in the public code); the
    ``isolation_rate`` of samples with the lowest loss are isolated; the network trains on the
    rest for ``n_epochs - isolation_epochs - unlearning_epochs`` epochs; finally
    ``unlearning_epochs`` of gradient ascent on the isolated samples at ``unlearning_lr``.

    Reference: Y. Li et al., "Anti-Backdoor Learning: Training Clean Models on Poisoned Data",
    NeurIPS 2021. Defaults follow ``METHOD.md``: 20 + 60 + 20 = 100 epochs, gamma 0.5, 1%.

    Parameters
    ----------
    backbone, backbone_kwargs, batch_size, lr, lr_schedule, optimizer, momentum, weight_decay, device, random_state,
    verbose
        As in :class:`e2abl_ts.E2ABLClassifier`.
    n_epochs : int, default=100
        All three phases together.
    isolation_rate : float in (0, 1), default=0.01
        Share of training samples isolated (at least 2, so the unlearning batch can use batch norm).
    isolation_epochs : int, default=20
    unlearning_epochs : int, default=20
    lga_gamma : float, default=0.5
        The LGA loss floor.
    unlearning_lr : float, default=1e-4

    Attributes
    ----------
    suspected_poison_mask_ : ndarray of bool
        The isolated samples (for :func:`e2abl_ts.metrics.isolation_precision_recall`).
    poison_scores_ : ndarray
        Minus each sample's loss at the end of the isolation phase (higher = more suspicious).
    history_ : list of dict
        Per epoch, with ``phase`` in {"isolation", "training", "unlearning"}.
    """

    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        "isolation_rate": [Interval(Real, 0, 1, closed="neither")],
        "isolation_epochs": [Interval(Integral, 1, None, closed="left")],
        "unlearning_epochs": [Interval(Integral, 0, None, closed="left")],
        "lga_gamma": [Interval(Real, 0, None, closed="left")],
        "unlearning_lr": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, backbone="resnet34", *, n_epochs=100, isolation_rate=0.01, isolation_epochs=20,
                 unlearning_epochs=20, lga_gamma=0.5, unlearning_lr=1e-4, backbone_kwargs=None, batch_size=64,
                 lr=0.01, lr_schedule="constant", optimizer="sgd", momentum=0.9, weight_decay=5e-4, device="auto",
                 random_state=None, verbose=False):
        self.backbone = backbone
        self.n_epochs = n_epochs
        self.isolation_rate = isolation_rate
        self.isolation_epochs = isolation_epochs
        self.unlearning_epochs = unlearning_epochs
        self.lga_gamma = lga_gamma
        self.unlearning_lr = unlearning_lr
        self.backbone_kwargs = backbone_kwargs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _check_fit_params(self, n_cases):
        if self.isolation_epochs + self.unlearning_epochs > self.n_epochs:
            raise ValueError(
                f"isolation_epochs + unlearning_epochs must not exceed n_epochs; got "
                f"{self.isolation_epochs} + {self.unlearning_epochs} > {self.n_epochs}."
            )
        if max(2, n_from_rate(self.isolation_rate, n_cases)) >= n_cases:
            raise ValueError(f"isolation_rate={self.isolation_rate} isolates every one of the {n_cases} cases.")

    def _fit_module(self, net, X, y, generator):
        n = len(X)
        history = run_phase(self, net, X, y, LGAObjective(self.lga_gamma), self.isolation_epochs, generator,
                            self.lr, "isolation")
        loss = per_sample_loss(net, X, y, max(self.batch_size, 256))
        k = max(2, n_from_rate(self.isolation_rate, n))
        isolated = torch.argsort(loss)[:k].cpu()
        mask = torch.zeros(n, dtype=torch.bool)
        mask[isolated] = True
        rest = torch.nonzero(~mask).flatten()
        n_train = self.n_epochs - self.isolation_epochs - self.unlearning_epochs
        history += run_phase(self, net, X, y, CrossEntropyObjective(rest), n_train, generator, self.lr, "training",
                             self.isolation_epochs)
        history += run_phase(self, net, X, y, UnlearningObjective(isolated.sort().values), self.unlearning_epochs,
                             generator, self.unlearning_lr, "unlearning", self.isolation_epochs + n_train)
        self.history_ = history
        self.suspected_poison_mask_ = mask.numpy()
        self.poison_scores_ = (-loss).cpu().numpy().astype(np.float64)
        return net
