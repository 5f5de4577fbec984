"""Pieces the baseline defenses share: the clean subset they are given, phase schedules."""

from __future__ import annotations

from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from .._trainer import eval_mode, predict_logits, train


def clean_rows(clean_subset, n_cases: int, generator: torch.Generator) -> torch.Tensor:
    """The training rows the user vouches are clean, from a fraction or from row indices.

    A fraction draws that share of rows at random (from ``generator``): the user vouches that
    a random sample of this size is clean, as NAD and Fine-Pruning assume. Indices are taken
    as given.
    """
    if isinstance(clean_subset, Real) and not isinstance(clean_subset, (bool, np.bool_)):
        if not 0 < clean_subset < 1:
            raise ValueError(f"clean_subset as a fraction must be in (0, 1); got {clean_subset}.")
        k = int(round(clean_subset * n_cases))
        if k < 2:
            raise ValueError(
                f"clean_subset={clean_subset} of {n_cases} training cases selects {k} case(s); "
                "at least 2 are needed (batch norm trains on batches of two or more)."
            )
        return torch.randperm(n_cases, generator=generator)[:k].sort().values
    rows = np.asarray(clean_subset)
    if rows.ndim != 1 or rows.dtype.kind not in "iu":
        raise ValueError(
            "clean_subset must be a fraction in (0, 1) or a 1D array of integer row indices into the "
            f"training set; got {type(clean_subset).__name__} with dtype {getattr(rows, 'dtype', None)} "
            f"and shape {rows.shape}."
        )
    if len(np.unique(rows)) < 2:
        raise ValueError(f"clean_subset must hold at least 2 distinct rows; got {len(np.unique(rows))}.")
    if rows.min() < 0 or rows.max() >= n_cases:
        raise ValueError(
            f"clean_subset indices must be in [0, {n_cases - 1}] (the training set has {n_cases} cases); "
            f"got values from {rows.min()} to {rows.max()}."
        )
    return torch.from_numpy(np.unique(rows).astype(np.int64))


CLEAN_SUBSET_CONSTRAINT = [Interval(Real, 0, 1, closed="neither"), "array-like"]


def run_phase(estimator, net, X, y, objective, n_epochs, generator, lr, phase: str, first_epoch: int = 0):
    """One phase of a multi-phase defense on the shared loop, with a fresh optimizer at ``lr``.

    Its history records carry ``phase`` and epochs numbered from ``first_epoch + 1``.
    """
    if n_epochs == 0:
        return []
    optimizer = estimator._optimizer(objective.param_groups(net))
    for group in optimizer.param_groups:
        group["lr"] = lr
    history = train(net, X, y, objective, n_epochs=n_epochs, batch_size=estimator.batch_size, optimizer=optimizer,
                    generator=generator, verbose=estimator.verbose, desc=f"{type(estimator).__name__}: {phase}",
                    monitor=getattr(estimator, "_monitor", None), lr_schedule=estimator.lr_schedule)
    for record in history:
        record["phase"] = phase
        record["epoch"] += first_epoch
    return history


@torch.no_grad()
def per_sample_loss(net, X, y, batch_size: int) -> torch.Tensor:
    with eval_mode(net):
        return F.cross_entropy(predict_logits(net, X, batch_size), y, reduction="none")
