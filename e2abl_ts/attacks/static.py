"""A fixed additive trigger in a fixed window: the simplest time-series backdoor.

Reference: the "vanilla" static-trigger baseline of Jiang et al., "Backdoor Attacks on Time
Series: A Generative Approach", 2022 (TSBA). The shapes also cover the cases studied in
``METHOD.md``: a square-wave patch, a global sinusoid and a short localized burst.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import BaseAttack

PATTERNS = ("square", "sine", "burst")


def make_pattern(kind: str, length: int) -> np.ndarray:
    """A unit-amplitude pattern of ``length`` steps.

    The number of periods is capped at one per four steps so short windows do not alias
    (six periods sampled at three steps would be all zeros).
    """
    t = np.arange(length, dtype=np.float64) + 0.5

    def periods(wanted):
        return min(wanted, max(1, length // 4))

    if kind == "square":  # up to four periods of a +-1 square wave
        return np.where(np.sin(2 * np.pi * periods(4) * t / length) >= 0, 1.0, -1.0)
    if kind == "sine":  # up to six periods of a sinusoid (as SIG's f = 6)
        return np.sin(2 * np.pi * periods(6) * t / length)
    # a Gaussian-windowed oscillation: up to two periods under the window
    window = np.exp(-0.5 * ((t - length / 2) / (length / 6)) ** 2)
    return window * np.sin(2 * np.pi * periods(2) * t / length)


class StaticTriggerAttack(BaseAttack):
    """Add a fixed pattern to a fixed window of every poisoned series (dirty label).

    Parameters
    ----------
    target_label : label
        The label poisoned rows receive (a label of ``y``).
    poison_rate : float in (0, 1), default=0.1
        Fraction of the training set poisoned (rows drawn among the non-target rows).
    pattern : {"square", "sine", "burst"} or array-like of shape (window,), default="square"
        The trigger shape, scaled to unit peak: a square-wave patch, a sinusoid (use with
        ``window=1.0`` for a global sinusoid) or a short Gaussian-windowed burst.
    amplitude : float, default=2.5
        Peak height in standard deviations of each channel, learned on the training set.
    window : float in (0, 1] or int, default=0.1
        Trigger length: a fraction of the series length, or a number of steps.
    position : {"end", "start", "middle"} or int, default="end"
        Where the window sits (an int is its first step).
    channels : array-like of int or None, default=None
        The channels that carry the trigger (None: all).
    random_state : int, Generator or None, default=None
        Drives which rows are poisoned.

    Attributes
    ----------
    poison_indices_ : ndarray of int
        The poisoned rows of the last ``fit_resample``.
    trigger_ : ndarray of shape (n_channels, n_timepoints)
        The additive trigger learned on the training set.
    """

    _parameter_constraints = {
        **BaseAttack._parameter_constraints,
        "pattern": [StrOptions(set(PATTERNS)), "array-like"],
        "amplitude": [Interval(Real, None, None, closed="neither")],
        "window": [Interval(Real, 0, 1, closed="right"), Interval(Integral, 1, None, closed="left")],
        "position": [StrOptions({"end", "start", "middle"}), Interval(Integral, 0, None, closed="left")],
        "channels": ["array-like", None],
    }

    def __init__(self, target_label, poison_rate=0.1, *, pattern="square", amplitude=2.5, window=0.1,
                 position="end", channels=None, random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.pattern = pattern
        self.amplitude = amplitude
        self.window = window
        self.position = position
        self.channels = channels
        self.random_state = random_state

    def _fit_trigger(self, X, y, rng):
        n_channels, length = X.shape[1], X.shape[2]
        if isinstance(self.pattern, str):
            width = self.window if isinstance(self.window, Integral) else max(2, int(round(self.window * length)))
            shape = make_pattern(self.pattern, min(width, length))
        else:
            shape = np.asarray(self.pattern, dtype=np.float64).ravel()
            shape = shape / max(np.abs(shape).max(), 1e-12)
        width = len(shape)
        if width > length:
            raise ValueError(f"the trigger is {width} steps long but the series have {length} time points.")
        start = {"end": length - width, "start": 0, "middle": (length - width) // 2}.get(self.position, self.position)
        if start + width > length:
            raise ValueError(f"position={self.position} puts the {width}-step trigger past the series end ({length}).")
        channels = np.arange(n_channels) if self.channels is None else np.asarray(self.channels, dtype=int)
        if channels.size == 0 or channels.min() < 0 or channels.max() >= n_channels:
            raise ValueError(f"channels must index the {n_channels} channels of X; got {channels.tolist()}.")
        std = np.nanstd(X, axis=(0, 2))
        trigger = np.zeros((n_channels, length), dtype=np.float32)
        trigger[channels, start : start + width] = self.amplitude * std[channels, None] * shape[None, :]
        self.trigger_ = trigger

    def _trigger(self, X):
        if X.shape[1:] != self.trigger_.shape and X.shape[1] == self.trigger_.shape[0]:
            # other lengths: align the trigger to the series' end or start as fitted
            return X + _fit_length(self.trigger_, X.shape[2], self.position)
        if X.shape[1] != self.trigger_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} channels; the trigger was fitted on {self.trigger_.shape[0]}.")
        return X + self.trigger_


def _fit_length(trigger: np.ndarray, length: int, position) -> np.ndarray:
    out = np.zeros((trigger.shape[0], length), dtype=trigger.dtype)
    n = min(length, trigger.shape[1])
    if position == "end":
        out[:, -n:] = trigger[:, -n:]
    else:
        out[:, :n] = trigger[:, :n]
    return out
