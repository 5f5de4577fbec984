"""Input checks at the public boundary, shared by every estimator and attack.

Series follow aeon's layout: ``(n_cases, n_channels, n_timepoints)``; a 2D array is
univariate ``(n_cases, n_timepoints)``; unequal-length series come as a list of 2D
``(n_channels, n_timepoints_i)`` arrays. Every function returns new arrays: the caller's
are never modified.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, column_or_1d


def _is_unequal_list(X) -> bool:
    lengths = series_lengths(X)
    return lengths is not None and len(set(lengths.tolist())) > 1


def series_lengths(X) -> np.ndarray | None:
    """The length of each series for aeon's unequal-length list input, else None."""
    if isinstance(X, (list, tuple)) and len(X) > 0 and all(isinstance(x, np.ndarray) and x.ndim == 2 for x in X):
        return np.array([np.shape(x)[1] for x in X])
    return None


def check_series(X, *, input_name: str = "X") -> np.ndarray:
    """Return a float32 copy of ``X`` as ``(n_cases, n_channels, n_timepoints)``.

    Unequal-length input (a list of 2D arrays) is padded at the end with NaN to the longest
    series; :class:`ChannelScaler` turns the padding into the channel mean (zero after
    standardisation), so the networks, which pool over time, see a neutral value there.
    """
    if _is_unequal_list(X):
        parts = [check_series(x[None], input_name=f"{input_name}[{i}]")[0] for i, x in enumerate(X)]
        n_channels = {p.shape[0] for p in parts}
        if len(n_channels) > 1:
            raise ValueError(
                f"every series in {input_name} must have the same number of channels; got {sorted(n_channels)}."
            )
        length = max(p.shape[1] for p in parts)
        out = np.full((len(parts), parts[0].shape[0], length), np.nan, dtype=np.float32)
        for i, p in enumerate(parts):
            out[i, :, : p.shape[1]] = p
        return out
    X = check_array(X, dtype=np.float32, allow_nd=True, copy=True, input_name=input_name, ensure_min_features=1)
    if X.ndim == 2:
        X = X[:, None, :]
    if X.ndim != 3:
        hint = " (images? use the estimators and attacks in e2abl_ts.image)" if X.ndim == 4 else ""
        raise ValueError(
            f"{input_name} must be 2D (n_cases, n_timepoints) or 3D (n_cases, n_channels, n_timepoints); "
            f"got an array of shape {X.shape} ({X.ndim}D){hint}."
        )
    if X.shape[1] == 0 or X.shape[2] == 0:
        raise ValueError(f"{input_name} has no channels or no time points: shape {X.shape}.")
    return X


def unpad(X: np.ndarray):
    """Undo :func:`check_series`'s NaN padding: a list of 2D arrays at their own lengths, or
    ``X`` itself when nothing is padded."""
    padded = np.isnan(X).all(axis=1)  # (n_cases, n_timepoints): every channel NaN
    if not padded.any():
        return X
    lengths = np.array([X.shape[2] - _trailing(row) for row in padded])
    return [X[i, :, :n] for i, n in enumerate(lengths)]


def _trailing(mask_row: np.ndarray) -> int:
    """How many trailing True values ``mask_row`` has."""
    false = np.flatnonzero(~mask_row)
    return len(mask_row) - (false[-1] + 1 if len(false) else 0)


def check_labels(y, n_cases: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(classes, encoded_y)``; any label type works, two classes at least."""
    y = column_or_1d(y, warn=True)
    if y.dtype.kind in "fc":
        check_array(y, ensure_2d=False, dtype=None, input_name="y")
    check_classification_targets(y)
    if len(y) != n_cases:
        raise ValueError(f"y must have one label per case of X: X has {n_cases} cases, y has {len(y)} labels.")
    classes, y_enc = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"a classifier needs at least 2 classes in y; got 1 class: {classes[0]!r}.")
    return classes, y_enc.astype(np.int64)


class ChannelScaler:
    """Per-channel standardisation, NaN-aware (padding), learned on the training set."""

    def fit(self, X: np.ndarray) -> "ChannelScaler":
        axes = (0,) + tuple(range(2, X.ndim))
        self.mean_ = np.nanmean(X, axis=axes, keepdims=True).astype(np.float32)[0]
        std = np.nanstd(X, axis=axes, keepdims=True).astype(np.float32)[0]
        self.scale_ = np.where(std > 1e-8, std, 1.0).astype(np.float32)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        out = (X - self.mean_) / self.scale_
        return np.nan_to_num(out, nan=0.0).astype(np.float32, copy=False)
