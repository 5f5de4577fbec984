"""Fine-Pruning (Liu et al., RAID 2018) on the shared trainer core."""

from __future__ import annotations

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval
from torch import nn

from .._estimator import COMMON_CONSTRAINTS, BaseDeepClassifier, SeriesInput
from .._trainer import eval_mode
from ..networks import ChannelMask, forward_stages
from ._common import CLEAN_SUBSET_CONSTRAINT, clean_rows, run_phase
from .standard import CrossEntropyObjective


@torch.no_grad()
def last_stage_features(net, X, batch_size):
    with eval_mode(net):
        return torch.cat([forward_stages(net, X[s: s + batch_size])[1][-1] for s in range(0, len(X), batch_size)])


@torch.no_grad()
def prune_order_and_count(net, features, y, step: float, max_drop: float):
    """Channels of the last stage in pruning order (least active on clean data first), and how
    many can go while the clean-subset accuracy stays above ``(1 - max_drop)`` of the unpruned one."""
    n_channels = features.shape[1]
    order = torch.argsort(features.flatten(2).mean(dim=2).mean(dim=0))
    with eval_mode(net):
        base = float((net.head(features).argmax(1) == y).float().mean())
        per_step = max(1, int(round(step * n_channels)))
        kept = 0
        for count in range(per_step, n_channels, per_step):
            mask = torch.ones(n_channels, device=features.device)
            mask[order[:count]] = 0
            acc = float((net.head(ChannelMask(mask)(features)).argmax(1) == y).float().mean())
            if acc < (1 - max_drop) * base:
                break
            kept = count
    return order, kept


class FinePruningClassifier(SeriesInput, BaseDeepClassifier):
    """Fine-Pruning: prune the last stage's channels dormant on clean data, then fine-tune.

    The network trains on the whole set for ``n_epochs``; the channels of its last stage are
    ranked by mean activation on the clean subset and pruned, ``prune_step`` of them at a
    time, while the clean-subset accuracy stays within ``max_accuracy_drop`` (relative) of the
    unpruned network; the pruned network is then fine-tuned on the clean subset for
    ``finetune_epochs``. Pruned channels stay zero (a fixed mask after the last stage).

    Reference: K. Liu, B. Dolan-Gavitt, S. Garg, "Fine-Pruning: Defending Against Backdooring
    Attacks on Deep Neural Networks", RAID 2018.

    Parameters
    ----------
    backbone, backbone_kwargs, batch_size, lr, lr_schedule, optimizer, momentum, weight_decay, device, random_state,
    verbose
        As in :class:`e2abl_ts.E2ABLClassifier`.
    clean_subset : float in (0, 1) or array-like of int, default=0.05
        The samples the defender vouches are clean (see :class:`NADClassifier`).
    n_epochs : int, default=60
    prune_step : float in (0, 1), default=0.01
    max_accuracy_drop : float in [0, 1), default=0.1
    finetune_epochs : int, default=10
    finetune_lr : float, default=0.01

    Attributes
    ----------
    pruned_channels_ : ndarray of int
        The last stage's pruned channels.
    """

    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        "clean_subset": CLEAN_SUBSET_CONSTRAINT,
        "prune_step": [Interval(Real, 0, 1, closed="neither")],
        "max_accuracy_drop": [Interval(Real, 0, 1, closed="left")],
        "finetune_epochs": [Interval(Integral, 0, None, closed="left")],
        "finetune_lr": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, backbone="resnet34", *, clean_subset=0.05, n_epochs=60, prune_step=0.01,
                 max_accuracy_drop=0.1, finetune_epochs=10, finetune_lr=0.01, backbone_kwargs=None, batch_size=64,
                 lr=0.01, lr_schedule="constant", optimizer="sgd", momentum=0.9, weight_decay=5e-4, device="auto",
                 random_state=None, verbose=False):
        self.backbone = backbone
        self.clean_subset = clean_subset
        self.n_epochs = n_epochs
        self.prune_step = prune_step
        self.max_accuracy_drop = max_accuracy_drop
        self.finetune_epochs = finetune_epochs
        self.finetune_lr = finetune_lr
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

    def _fit_module(self, net, X, y, generator):
        rows = clean_rows(self.clean_subset, len(X), generator)
        history = run_phase(self, net, X, y, CrossEntropyObjective(), self.n_epochs, generator, self.lr, "training")
        rows_dev = rows.to(X.device)
        features = last_stage_features(net, X[rows_dev], max(self.batch_size, 256))
        order, count = prune_order_and_count(net, features, y[rows_dev], self.prune_step, self.max_accuracy_drop)
        mask = torch.ones(features.shape[1], device=X.device)
        mask[order[:count]] = 0
        net.stages[-1] = nn.Sequential(net.stages[-1], ChannelMask(mask))
        history += run_phase(self, net, X, y, CrossEntropyObjective(rows), self.finetune_epochs, generator,
                             self.finetune_lr, "fine-tuning", self.n_epochs)
        self.history_ = history
        self.pruned_channels_ = order[:count].cpu().numpy()
        self.clean_indices_ = rows.numpy()
        return net
