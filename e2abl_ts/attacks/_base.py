"""The attack contract, after imbalanced-learn's samplers.

``fit_resample(X, y)`` returns a poisoned copy of the training set (same rows; the chosen ones
triggered and, for dirty-label attacks, relabelled to ``target_label``) and records
``poison_indices_``. There is no ``transform``: inside ``imblearn.pipeline.Pipeline`` an attack
acts at fit time only, and test data pass through untouched at predict time.
``apply_trigger(X)`` returns a triggered copy of any series, to measure the attack success rate.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import column_or_1d

from .._trainer import seed_from
from .._validation import check_series, series_lengths


class BaseAttack(BaseEstimator):
    """Row selection and bookkeeping shared by every attack; subclasses define the trigger.

    Subclasses implement ``_fit_trigger(X, y, rng)`` (learn what the trigger needs from the
    clean training set, e.g. channel scales or a surrogate model) and ``_trigger(X)`` (return
    a triggered copy of a float32 ``(n, channels, timepoints)`` array).
    """

    _parameter_constraints: dict = {
        "target_label": "no_validation",
        "poison_rate": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def _fit_trigger(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> None:
        """Learn what the trigger needs; called before any row is triggered."""

    def _trigger(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- public API -----------------------------------------------------------------------
    def fit_resample(self, X, y):
        """Return ``(X_poisoned, y_poisoned)``: copies, with ``poison_indices_`` rows attacked."""
        self._validate_params()
        X_in = X
        X, lengths = self._validate_X(X)
        y = column_or_1d(np.array(y, copy=True))
        if len(y) != len(X):
            raise ValueError(f"y must have one label per case of X: X has {len(X)} cases, y has {len(y)} labels.")
        labels = np.unique(y)
        if not np.isin(self.target_label, labels).item():
            raise ValueError(f"target_label={self.target_label!r} is not among the labels of y: {labels.tolist()}.")
        n_poison = int(round(self.poison_rate * len(X)))
        if n_poison == 0:
            raise ValueError(
                f"poison_rate={self.poison_rate} poisons no row of a training set of {len(X)}: "
                f"use a rate of at least {0.5 / len(X):.3g}."
            )
        candidates = self._candidate_rows(y)
        if len(candidates) < n_poison:
            raise ValueError(
                f"poison_rate={self.poison_rate} asks for {n_poison} poisoned rows but only {len(candidates)} "
                f"rows are eligible ({self._eligible_description})."
            )
        rng = np.random.default_rng(seed_from(self.random_state))
        self.target_label_ = labels[np.isin(labels, self.target_label)][0]
        self._fit_trigger(X, y, rng)
        idx = np.sort(rng.choice(candidates, size=n_poison, replace=False))
        X_out = X.copy()
        X_out[idx] = self._poison_rows(X[idx], y[idx], None if lengths is None else lengths[idx])
        y_out = y.copy()
        y_out[idx] = self._poison_label(y[idx])
        self.poison_indices_ = idx
        return self._restore(X_out, X_in), y_out

    def apply_trigger(self, X):
        """Return a triggered copy of ``X`` (same layout as given)."""
        self._check_fitted()
        X_work, lengths = self._validate_X(X)
        return self._restore(self._apply(X_work, lengths), X)

    def make_attack_set(self, X, y):
        """The triggered non-target rows of ``(X, y)``, labelled ``target_label`` (for ASR)."""
        self._check_fitted()
        y = column_or_1d(np.asarray(y))
        X_in = X
        X, lengths = self._validate_X(X)
        if len(y) != len(X):
            raise ValueError(f"y must have one label per case of X: X has {len(X)} cases, y has {len(y)} labels.")
        keep = y != self.target_label_
        if not keep.any():
            raise ValueError("make_attack_set needs at least one row whose label is not target_label.")
        X_attack = self._apply(X[keep], None if lengths is None else lengths[keep])
        return self._restore(X_attack, X_in, None if lengths is None else lengths[keep]), np.full(int(keep.sum()), self.target_label_, dtype=y.dtype)

    def _check_fitted(self):
        if not hasattr(self, "poison_indices_"):
            raise NotFittedError(
                f"This {type(self).__name__} has not learned its trigger yet: call fit_resample(X, y) first."
            )

    # --- input handling: series here; the image attacks override these two ----------------
    def _validate_X(self, X):
        """``(float32 array the trigger works on, per-row lengths or None)``; never the caller's array."""
        return check_series(X), series_lengths(X)

    def _restore(self, X_work: np.ndarray, X_in, lengths=None):
        """Give a working array the caller's layout back (2D, a list for unequal lengths, ...)."""
        return _like_input(X_work, X_in, lengths)

    def _poison_rows(self, X: np.ndarray, y: np.ndarray, lengths) -> np.ndarray:
        """The training rows' poisoned form; the test-time trigger by default (clean-label
        attacks that perturb training rows further override this)."""
        return self._apply(X, lengths)

    def _apply(self, X: np.ndarray, lengths) -> np.ndarray:
        """Trigger every row; unequal-length rows are triggered at their own length."""
        if lengths is None:
            return self._trigger(X)
        out = X.copy()
        for n in np.unique(lengths):
            rows = np.flatnonzero(lengths == n)
            out[rows, :, :n] = self._trigger(X[rows, :, :n])
        return out

    # --- dirty-label defaults, overridden by clean-label attacks -------------------------
    _eligible_description = "rows whose label is not target_label"

    def _candidate_rows(self, y: np.ndarray) -> np.ndarray:
        return np.flatnonzero(y != self.target_label)

    def _poison_label(self, y_rows: np.ndarray) -> np.ndarray:
        return np.full(len(y_rows), self.target_label_, dtype=y_rows.dtype)


def _like_input(X3d: np.ndarray, original, lengths=None):
    """Give ``X3d`` the caller's layout back: 2D for 2D input, a list for unequal lengths."""
    if lengths is None:
        lengths = series_lengths(original)
    if lengths is not None:
        return [X3d[i, :, :n].copy() for i, n in enumerate(lengths)]
    if np.ndim(original) == 2:
        return X3d[:, 0, :]
    return X3d
