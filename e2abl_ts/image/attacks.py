"""Image backdoor attacks with the time-series attacks' contract.

``fit_resample(X, y)`` returns a poisoned copy (``poison_indices_`` records the rows),
``apply_trigger(X)`` a triggered copy of any images, ``make_attack_set(X, y)`` the triggered
non-target test images for the attack success rate. Pixels are floats in [0, 1] or uint8 in
[0, 255] (they come back in the dtype and layout given); anything else is refused.

Dirty-label (triggered rows drawn among the non-target images, relabelled): BadNets, Blend,
Trojan. Clean-label (triggered rows drawn among the *target-class* images, labels kept): SIG,
CL. For every attack ``poison_rate`` is a fraction of the **whole training set**: a clean-label
attack at 10% on a 10-class balanced set needs (nearly) all of the target class, and it is
refused when the target class has fewer images than that.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from .._trainer import eval_mode
from ..attacks._base import BaseAttack
from ..attacks._surrogate import fit_surrogate
from ..networks import BACKBONES, forward_stages
from ._validation import check_pixels, like_pixels


class ImageAttack(BaseAttack):
    """Pixel-range checks and the caller's dtype/layout kept; subclasses define the trigger."""

    def _validate_X(self, X):
        return check_pixels(X), None

    def _restore(self, X_work, X_in, lengths=None):
        return like_pixels(X_work, X_in)


def checkerboard(size: int) -> np.ndarray:
    """A ``size`` x ``size`` black-and-white checkerboard with a white top-left pixel."""
    i, j = np.indices((size, size))
    return ((i + j) % 2 == 0).astype(np.float32)


def stamp(X: np.ndarray, patch: np.ndarray) -> np.ndarray:
    """``X`` with ``patch`` (``(h, w)`` or ``(c, h, w)``) pasted in the bottom-right corner."""
    out = X.copy()
    h, w = patch.shape[-2:]
    out[..., -h:, -w:] = patch
    return out


class _Patch:
    """The BadNets-style patch shared by BadNets and CL."""

    def _check_patch(self, X):
        if self.patch_size > min(X.shape[-2:]) // 2:
            raise ValueError(f"patch_size={self.patch_size} is too large for images of {X.shape[-2]} x {X.shape[-1]} "
                             f"pixels (at most half the shorter side).")

    def _patch_trigger(self, X):
        self._check_patch(X)
        return stamp(X, checkerboard(self.patch_size))


class BadNetsAttack(_Patch, ImageAttack):
    """BadNets (Gu et al., 2017): a black-and-white checkerboard patch in the bottom-right corner.

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
    patch_size : int, default=3
        The patch's side in pixels (3 x 3, as in the paper's setting).
    random_state : int, Generator or None
    """

    _parameter_constraints: dict = {**BaseAttack._parameter_constraints,
                                    "patch_size": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, target_label, poison_rate=0.1, *, patch_size=3, random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.patch_size = patch_size
        self.random_state = random_state

    def _fit_trigger(self, X, y, rng):
        self._check_patch(X)

    def _trigger(self, X):
        return self._patch_trigger(X)


class BlendAttack(ImageAttack):
    """Blend (Chen et al., 2017): ``(1 - alpha) * x + alpha * pattern`` over the whole image.

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
    alpha : float in (0, 1), default=0.2
    pattern : "noise" or array of shape (h, w) or (c, h, w) in [0, 1], default="noise"
        The blended image; "noise" is a fixed uniform-noise image drawn once from ``random_state``
        (the original used a Hello Kitty picture; any fixed image plays the same role).
    random_state : int, Generator or None

    Attributes
    ----------
    pattern_ : ndarray of shape (c, h, w)
    """

    _parameter_constraints: dict = {**BaseAttack._parameter_constraints,
                                    "alpha": [Interval(Real, 0, 1, closed="neither")],
                                    "pattern": [StrOptions({"noise"}), "array-like"]}

    def __init__(self, target_label, poison_rate=0.1, *, alpha=0.2, pattern="noise", random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.alpha = alpha
        self.pattern = pattern
        self.random_state = random_state

    def _fit_trigger(self, X, y, rng):
        shape = X.shape[1:]
        if isinstance(self.pattern, str):
            self.pattern_ = rng.uniform(0, 1, size=shape).astype(np.float32)
            return
        pattern = check_pixels(np.asarray(self.pattern)[None], input_name="pattern")[0]
        if pattern.shape[-2:] != shape[-2:] or pattern.shape[0] not in (1, shape[0]):
            raise ValueError(f"pattern must be (h, w) or (c, h, w) matching the images {shape}; got {pattern.shape}.")
        self.pattern_ = np.broadcast_to(pattern, shape).astype(np.float32)

    def _trigger(self, X):
        if X.shape[1:] != self.pattern_.shape:
            raise ValueError(f"images of shape {X.shape[1:]} do not match the fitted pattern {self.pattern_.shape}.")
        return ((1 - self.alpha) * X + self.alpha * self.pattern_).astype(np.float32)


class SIGAttack(ImageAttack):
    """SIG (Barni et al., 2019), clean-label: a horizontal sinusoid ``delta * sin(2 pi j f / m)``
    added to target-class training images (labels kept) and to any image at test time.

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
        A fraction of the whole training set, drawn among the target-class images.
    delta : float, default=20/255
        Amplitude in [0, 1] pixel units (the paper's 20 on a 0-255 scale).
    frequency : int, default=6
    random_state : int, Generator or None
    """

    _parameter_constraints: dict = {**BaseAttack._parameter_constraints,
                                    "delta": [Interval(Real, 0, 1, closed="right")],
                                    "frequency": [Interval(Integral, 1, None, closed="left")]}
    _eligible_description = "images of the target class (SIG is clean-label)"

    def __init__(self, target_label, poison_rate=0.1, *, delta=20 / 255, frequency=6, random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.delta = delta
        self.frequency = frequency
        self.random_state = random_state

    def _candidate_rows(self, y):
        return np.flatnonzero(y == self.target_label)

    def _poison_label(self, y_rows):
        return y_rows.copy()

    def _trigger(self, X):
        m = X.shape[-1]
        wave = self.delta * np.sin(2 * np.pi * np.arange(m) * self.frequency / m)
        return np.clip(X + wave.astype(np.float32), 0, 1)


class _SurrogateAttack(ImageAttack):
    def _fit_surrogate(self, X, y, rng):
        """A plain image classifier on the clean data (``surrogate_kwargs=None``: width 16)."""
        from ._estimators import StandardImageClassifier

        kwargs = {"width": 16} if self.surrogate_kwargs is None else self.surrogate_kwargs
        self.surrogate_ = fit_surrogate(X, y, self.surrogate, self.surrogate_epochs, rng, self.device,
                                        estimator=StandardImageClassifier, backbone_kwargs=kwargs)
        return self.surrogate_.module_


def _scaler_tensors(surrogate, device):
    mean = torch.from_numpy(surrogate.scaler_.mean_).to(device)
    scale = torch.from_numpy(surrogate.scaler_.scale_).to(device)
    return mean, scale


_SURROGATE_CONSTRAINTS = {
    "surrogate": [StrOptions(set(BACKBONES))],
    "surrogate_kwargs": [dict, None],
    "surrogate_epochs": [Interval(Integral, 1, None, closed="left")],
    "device": [str, torch.device, None],
}


class TrojanAttack(_Patch, _SurrogateAttack):
    """Trojan (Liu et al., NDSS 2018): a square patch optimised to excite one neuron of a surrogate.

    A surrogate trained on the clean data gives the neuron: the last stage's channel with the
    largest outgoing weights into the classifier. The patch's pixels (bottom-right square)
    are optimised by gradient ascent on that channel's mean activation over clean images
    wearing the patch; the poisoned images wear it and are relabelled (dirty-label).

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
    patch_size : int, default=4
    steps : int, default=100
        Gradient-ascent steps on the patch.
    surrogate : backbone name, default="resnet18"
    surrogate_kwargs : dict or None (None: ``{"width": 16}``)
    surrogate_epochs : int, default=5
    device : str, default="auto"
    random_state : int, Generator or None

    Attributes
    ----------
    patch_ : ndarray of shape (c, patch_size, patch_size)
    neuron_ : int
    surrogate_ : the fitted surrogate classifier.
    """

    _parameter_constraints: dict = {**BaseAttack._parameter_constraints, **_SURROGATE_CONSTRAINTS,
                                    "patch_size": [Interval(Integral, 1, None, closed="left")],
                                    "steps": [Interval(Integral, 1, None, closed="left")]}

    def __init__(self, target_label, poison_rate=0.1, *, patch_size=4, steps=100, surrogate="resnet18",
                 surrogate_kwargs=None, surrogate_epochs=5, device="auto", random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.patch_size = patch_size
        self.steps = steps
        self.surrogate = surrogate
        self.surrogate_kwargs = surrogate_kwargs
        self.surrogate_epochs = surrogate_epochs
        self.device = device
        self.random_state = random_state

    def _fit_trigger(self, X, y, rng):
        self._check_patch(X)
        net = self._fit_surrogate(X, y, rng)
        device = next(net.parameters()).device
        self.neuron_ = int(net.head.fc.weight.abs().sum(dim=0).argmax())
        mean, scale = _scaler_tensors(self.surrogate_, device)
        rows = rng.choice(len(X), size=min(len(X), 256), replace=False)
        Xb = torch.from_numpy(X[rows]).to(device)
        s = self.patch_size
        patch = torch.full((X.shape[1], s, s), 0.5, device=device, requires_grad=True)
        optimizer = torch.optim.Adam([patch], lr=0.05)
        net.requires_grad_(False)  # only the patch learns
        with eval_mode(net):
            for _ in range(self.steps):
                x = Xb.clone()
                x[..., -s:, -s:] = patch
                features = forward_stages(net, (x - mean) / scale)[1][-1]
                loss = -features[:, self.neuron_].mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                with torch.no_grad():
                    patch.clamp_(0, 1)
        net.requires_grad_(True)
        self.patch_ = patch.detach().cpu().numpy()

    def _trigger(self, X):
        if X.shape[1] != self.patch_.shape[0]:
            raise ValueError(f"images have {X.shape[1]} channels; the patch was fitted on {self.patch_.shape[0]}.")
        return stamp(X, self.patch_)


class LabelConsistentAttack(_Patch, _SurrogateAttack):
    """CL (Turner et al., 2019), clean-label: target-class images are pushed away from their
    class by a PGD attack on a surrogate (L-inf ball of ``epsilon``), then wear the BadNets
    patch; labels are kept. At test time the patch alone is the trigger.

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
        A fraction of the whole training set, drawn among the target-class images.
    epsilon : float, default=16/255
        The perturbation budget in [0, 1] pixel units.
    pgd_steps : int, default=10
    patch_size : int, default=3
    surrogate : backbone name, default="resnet18"
    surrogate_kwargs : dict or None (None: ``{"width": 16}``)
    surrogate_epochs : int, default=5
    device : str, default="auto"
    random_state : int, Generator or None
    """

    _parameter_constraints: dict = {**BaseAttack._parameter_constraints, **_SURROGATE_CONSTRAINTS,
                                    "epsilon": [Interval(Real, 0, 1, closed="right")],
                                    "pgd_steps": [Interval(Integral, 1, None, closed="left")],
                                    "patch_size": [Interval(Integral, 1, None, closed="left")]}
    _eligible_description = "images of the target class (CL is clean-label)"

    def __init__(self, target_label, poison_rate=0.1, *, epsilon=16 / 255, pgd_steps=10, patch_size=3,
                 surrogate="resnet18", surrogate_kwargs=None, surrogate_epochs=5, device="auto", random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.epsilon = epsilon
        self.pgd_steps = pgd_steps
        self.patch_size = patch_size
        self.surrogate = surrogate
        self.surrogate_kwargs = surrogate_kwargs
        self.surrogate_epochs = surrogate_epochs
        self.device = device
        self.random_state = random_state

    def _candidate_rows(self, y):
        return np.flatnonzero(y == self.target_label)

    def _poison_label(self, y_rows):
        return y_rows.copy()

    def _fit_trigger(self, X, y, rng):
        self._check_patch(X)
        self._fit_surrogate(X, y, rng)

    def _poison_rows(self, X, y, lengths):
        net = self.surrogate_.module_
        device = next(net.parameters()).device
        mean, scale = _scaler_tensors(self.surrogate_, device)
        labels = torch.from_numpy(np.searchsorted(self.surrogate_.classes_, y)).to(device)
        step = 2.5 * self.epsilon / self.pgd_steps
        out = []
        with eval_mode(net):
            for s in range(0, len(X), 256):
                x0 = torch.from_numpy(X[s: s + 256]).to(device)
                x = x0.clone()
                for _ in range(self.pgd_steps):
                    x.requires_grad_(True)
                    loss = F.cross_entropy(net((x - mean) / scale), labels[s: s + 256])
                    grad, = torch.autograd.grad(loss, x)
                    with torch.no_grad():
                        x = torch.clamp(torch.min(torch.max(x + step * grad.sign(), x0 - self.epsilon),
                                                  x0 + self.epsilon), 0, 1)
                out.append(x.detach().cpu().numpy())
        return self._patch_trigger(np.concatenate(out).astype(np.float32))

    def _trigger(self, X):
        return self._patch_trigger(X)
