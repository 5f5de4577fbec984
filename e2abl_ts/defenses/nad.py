"""Neural Attention Distillation (NAD, Li et al., ICLR 2021) on the shared trainer core."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from .._estimator import COMMON_CONSTRAINTS, BaseDeepClassifier, SeriesInput
from .._trainer import Objective, eval_mode
from ..networks import forward_stages
from ._common import CLEAN_SUBSET_CONSTRAINT, clean_rows, run_phase
from .standard import CrossEntropyObjective


def attention(feature: torch.Tensor, p: int = 2) -> torch.Tensor:
    """NAD's attention map: the channel mean of ``|feature|^p``, flattened and L2-normalised."""
    return F.normalize(feature.abs().pow(p).mean(dim=1).flatten(1), dim=1)


class DistillationObjective(Objective):
    """Cross-entropy on the clean rows plus attention distillation from a frozen teacher."""

    def __init__(self, teacher, rows: torch.Tensor, betas: tuple[float, ...]):
        self.teacher, self.rows, self.betas = teacher, rows, betas

    def epoch_rows(self, epoch):
        return self.rows

    def batch_loss(self, net, xb, yb, idx):
        logits, feats = forward_stages(net, xb)
        with torch.no_grad(), eval_mode(self.teacher):
            _, t_feats = forward_stages(self.teacher, xb)
        ce = F.cross_entropy(logits, yb)
        # the betas weight the last len(betas) stages, deepest last
        pairs = list(zip(feats[-len(self.betas):], t_feats[-len(self.betas):], self.betas))
        at = sum(beta * (attention(s) - attention(t)).pow(2).mean() for s, t, beta in pairs)
        return ce + at, {"ce": ce.detach(), "attention": at.detach()}


class NADClassifier(SeriesInput, BaseDeepClassifier):
    """Neural Attention Distillation: a teacher fine-tuned on clean data guides the student.

    The network first trains on the whole (possibly poisoned) set for ``n_epochs`` (it is the
    no-defense model). A copy, the teacher, is fine-tuned for ``teacher_epochs`` on the clean
    subset; the original, the student, then trains ``distillation_epochs`` on the clean subset
    with cross-entropy plus ``betas``-weighted attention distillation on the last stages.

    Reference: Y. Li et al., "Neural Attention Distillation: Erasing Backdoor Triggers from
    Deep Neural Networks", ICLR 2021.

    Parameters
    ----------
    backbone, backbone_kwargs, batch_size, lr, lr_schedule, optimizer, momentum, weight_decay, device, random_state,
    verbose
        As in :class:`e2abl_ts.E2ABLClassifier`.
    clean_subset : float in (0, 1) or array-like of int, default=0.05
        The samples the defender vouches are clean: row indices into the training set, or a
        fraction drawn at random from it (the user then vouches that the whole training set is
        clean enough for a random draw of this size, NAD's assumption).
    n_epochs : int, default=60
        Epochs of ordinary training on the whole set before the defense.
    teacher_epochs : int, default=10
    distillation_epochs : int, default=20
    betas : tuple of float, default=(500, 1000, 1000)
        Attention-distillation weights of the last ``len(betas)`` stages.
    finetune_lr : float, default=0.01
        Learning rate of the teacher's fine-tuning and of the distillation.
    """

    _parameter_constraints: dict = {
        **COMMON_CONSTRAINTS,
        "clean_subset": CLEAN_SUBSET_CONSTRAINT,
        "teacher_epochs": [Interval(Integral, 0, None, closed="left")],
        "distillation_epochs": [Interval(Integral, 1, None, closed="left")],
        "betas": [tuple, list],
        "finetune_lr": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, backbone="resnet34", *, clean_subset=0.05, n_epochs=60, teacher_epochs=10,
                 distillation_epochs=20, betas=(500.0, 1000.0, 1000.0), finetune_lr=0.01, backbone_kwargs=None,
                 batch_size=64, lr=0.01, lr_schedule="constant", optimizer="sgd", momentum=0.9, weight_decay=5e-4,
                 device="auto", random_state=None, verbose=False):
        self.backbone = backbone
        self.clean_subset = clean_subset
        self.n_epochs = n_epochs
        self.teacher_epochs = teacher_epochs
        self.distillation_epochs = distillation_epochs
        self.betas = betas
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
        n_stages = len(net.stages)
        if not 1 <= len(self.betas) <= n_stages:
            raise ValueError(f"betas must weight 1 to {n_stages} stages of this backbone; got {len(self.betas)}.")
        history = run_phase(self, net, X, y, CrossEntropyObjective(), self.n_epochs, generator, self.lr, "training")
        teacher = copy.deepcopy(net)
        history += run_phase(self, teacher, X, y, CrossEntropyObjective(rows), self.teacher_epochs, generator,
                             self.finetune_lr, "teacher", self.n_epochs)
        teacher.eval().requires_grad_(False)
        objective = DistillationObjective(teacher, rows, tuple(float(b) for b in self.betas))
        history += run_phase(self, net, X, y, objective, self.distillation_epochs, generator, self.finetune_lr,
                             "distillation", self.n_epochs + self.teacher_epochs)
        self.history_ = history
        self.clean_indices_ = rows.numpy()
        return net
