"""Image input checks: ``(n_images, n_channels, height, width)`` or grayscale ``(n, h, w)``."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_array

MIN_SIDE = 8  # the smallest image the adapter accepts (scikit-learn's digits are 8 x 8)


def check_images(X, *, input_name: str = "X") -> np.ndarray:
    """Return a float32 copy of ``X`` as ``(n_images, n_channels, height, width)``.

    A 3D array is grayscale ``(n, h, w)``. Raises a ``ValueError`` that says what was expected
    when the input looks like a time series, is channels-last, or holds NaN or infinity.
    """
    if isinstance(X, (list, tuple)) and len(X) and np.ndim(X[0]) == 2 and len({np.shape(x) for x in X}) > 1:
        raise ValueError(
            f"{input_name} is a list of 2D arrays of different shapes: aeon's unequal-length series layout. "
            "Images must all have one size; for time series use e2abl_ts.E2ABLClassifier."
        )
    X = check_array(X, dtype=np.float32, allow_nd=True, copy=True, input_name=input_name, ensure_2d=False,
                    ensure_min_samples=1)
    if X.ndim == 3:
        X = X[:, None]
    if X.ndim != 4:
        hint = " (a time series? use e2abl_ts.E2ABLClassifier and e2abl_ts.attacks)" if X.ndim == 2 else ""
        raise ValueError(
            f"{input_name} must be 4D (n_images, n_channels, height, width) or 3D grayscale (n_images, height, "
            f"width); got an array of shape {X.shape} ({X.ndim}D){hint}."
        )
    n, c, h, w = X.shape
    if c > 4 and w in (1, 3, 4):
        raise ValueError(
            f"{input_name} has shape {X.shape}, which looks channels-last (n, h, w, c); images are channels-first "
            f"(n, c, h, w): use np.moveaxis(X, -1, 1)."
        )
    if min(h, w) < MIN_SIDE:
        raise ValueError(
            f"{input_name} has images of {h} x {w} pixels (shape {X.shape}); the image adapter needs at least "
            f"{MIN_SIDE} x {MIN_SIDE}. A (n_cases, n_channels, n_timepoints) time series goes to "
            "e2abl_ts.E2ABLClassifier instead."
        )
    return X


def check_pixels(X, *, input_name: str = "X") -> np.ndarray:
    """Images for an attack, as float32 in [0, 1]: floats must already be in [0, 1], uint8 is divided by 255."""
    uint8 = np.asarray(X).dtype == np.uint8 if not isinstance(X, (list, tuple)) else False
    X = check_images(X, input_name=input_name)
    if uint8:
        return X / np.float32(255)
    lo, hi = float(X.min()), float(X.max())
    if lo < -1e-6 or hi > 1 + 1e-6:
        raise ValueError(
            f"the image attacks expect pixels as floats in [0, 1] or uint8 in [0, 255]; {input_name} is "
            f"{np.asarray(X).dtype} with values from {lo:.4g} to {hi:.4g} (standardised images? attack the raw "
            "pixels, before any normalisation)."
        )
    return np.clip(X, 0, 1)


def like_pixels(X01: np.ndarray, original) -> np.ndarray:
    """Give attacked [0, 1] images the caller's dtype and layout back (uint8, grayscale 3D)."""
    out = X01
    if np.asarray(original).dtype == np.uint8:
        out = np.clip(np.rint(X01 * 255), 0, 255).astype(np.uint8)
    else:
        out = out.astype(np.asarray(original).dtype if np.asarray(original).dtype.kind == "f" else np.float32)
    return out[:, 0] if np.ndim(original) == 3 else out
