"""TimeTrojan (Ding et al., ICDE 2022): sparse, sample-specific triggers found on a surrogate.

TT-FGSM takes one signed-gradient step on the ``n_points`` most salient (channel, time)
points of each series; TT-DE finds the points and their values by differential evolution,
with surrogate queries only. Between trigger rounds the surrogate trains on clean plus
triggered data, so the trigger and the model that reads it co-adapt (the attacker's side of
the paper's threat model). ``apply_trigger`` computes each new series' trigger the same way.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from .._trainer import eval_mode
from ..networks import BACKBONES
from ._base import BaseAttack
from ._surrogate import channel_scale, fit_surrogate, scaled, target_gradient, train_epochs


class _TimeTrojan(BaseAttack):
    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "n_points": [Interval(Real, 0, 1, closed="neither"), Interval(Integral, 1, None, closed="left")],
        "eta": [Interval(Real, 0, None, closed="neither")],
        "surrogate": [StrOptions(set(BACKBONES))],
        "surrogate_epochs": [Interval(Integral, 1, None, closed="left")],
        "n_rounds": [Interval(Integral, 0, None, closed="left")],
        "device": [str, torch.device, None],
    }

    def _points(self, X) -> int:
        size = X.shape[1] * X.shape[2]
        k = self.n_points if isinstance(self.n_points, Integral) else int(round(self.n_points * size))
        return int(min(max(k, 1), size))

    def _fit_trigger(self, X, y, rng):
        self.surrogate_ = fit_surrogate(X, y, self.surrogate, self.surrogate_epochs, rng, self.device)
        self._target = int(np.searchsorted(self.surrogate_.classes_, self.target_label_))
        self._seed = int(rng.integers(2**31 - 1))
        others = np.flatnonzero(y != self.target_label_)
        if self.n_rounds == 0 or len(others) == 0:
            return
        net = self.surrogate_.module_
        y_enc = torch.from_numpy(np.searchsorted(self.surrogate_.classes_, y)).to(next(net.parameters()).device)
        generator = torch.Generator().manual_seed(self._seed)
        # the rounds co-adapt trigger and surrogate on a poison-sized share of the other classes
        share = rng.choice(others, size=max(1, min(len(others), int(round(self.poison_rate * len(X))))), replace=False)
        for _ in range(self.n_rounds):
            X_trig = self._trigger(X[share])
            Xs = torch.cat([scaled(self.surrogate_, X), scaled(self.surrogate_, X_trig)])
            ys = torch.cat([y_enc, torch.full((len(share),), self._target, device=y_enc.device)])
            train_epochs(net, Xs, ys, 1, lr=0.01, generator=generator)

    def _check_channels(self, X):
        if X.shape[1] != self.surrogate_.n_channels_:
            raise ValueError(f"X has {X.shape[1]} channels; the surrogate was fitted on {self.surrogate_.n_channels_}.")


class TimeTrojanFGSMAttack(_TimeTrojan):
    """TT-FGSM: one signed-gradient step toward ``target_label`` on the most salient points.

    For each series, the gradient of the surrogate's target-class loss gives the saliency of
    every (channel, time) point; the ``n_points`` most salient move by ``eta`` channel
    standard deviations against the gradient: ``x - eta * sd * mask * sign(grad)``.

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
    n_points : float in (0, 1) or int, default=0.05
        Points perturbed per series (a share of channels x time points, or a count).
    eta : float, default=2.0
        Step size in channel standard deviations. With 1.0 the victim (Wang ResNet, 30 epochs,
        no defense, 10% poison) learned too little of the trigger: ASR 53.6 on UWave, 18.9 on
        JapaneseVowels; with 2.0, 87.9 (CA 75.0, clean 80.0), 63.7, and 90.3 on ECG5000.
    surrogate : {"resnet", "resnet18", "resnet34", "fcn"}, default="resnet"
        The attacker's surrogate backbone.
    surrogate_epochs : int, default=30
    n_rounds : int, default=3
        Rounds of trigger regeneration and one surrogate epoch on clean + triggered data.
    device : str, default="auto"
    random_state : int, Generator or None

    Attributes
    ----------
    poison_indices_, target_label_, surrogate_ : the fitted surrogate classifier.

    Reference: Y. Ding et al., "Towards Backdoor Attack on Deep Learning based Time Series
    Classification", ICDE 2022.
    """

    def __init__(self, target_label, poison_rate=0.1, *, n_points=0.05, eta=2.0, surrogate="resnet",
                 surrogate_epochs=30, n_rounds=3, device="auto", random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.n_points = n_points
        self.eta = eta
        self.surrogate = surrogate
        self.surrogate_epochs = surrogate_epochs
        self.n_rounds = n_rounds
        self.device = device
        self.random_state = random_state

    def _trigger(self, X):
        self._check_channels(X)
        net = self.surrogate_.module_
        g = target_gradient(net, scaled(self.surrogate_, X), self._target).cpu()
        flat = g.flatten(1)
        mask = torch.zeros_like(flat)
        mask.scatter_(1, flat.abs().topk(self._points(X), dim=1).indices, 1.0)
        step = (-self.eta * torch.sign(flat) * mask).view_as(g).numpy()
        return (X + step * channel_scale(self.surrogate_, X)).astype(np.float32)


class TimeTrojanDEAttack(_TimeTrojan):
    """TT-DE: the sparse trigger found by differential evolution, from surrogate queries only.

    For each series, ``scipy.optimize.differential_evolution`` searches ``n_points`` positions
    and values in ``[-eta, eta]`` channel standard deviations that minimise the surrogate's
    target-class loss (a whole population is scored in one batched query).

    Parameters
    ----------
    target_label, poison_rate, surrogate, surrogate_epochs, n_rounds, device, random_state
        As in :class:`TimeTrojanFGSMAttack`.
    n_points : float in (0, 1) or int, default=5
    eta : float, default=2.0
    popsize : int, default=10
    maxiter : int, default=20
    """

    _parameter_constraints: dict = {
        **_TimeTrojan._parameter_constraints,
        "popsize": [Interval(Integral, 2, None, closed="left")],
        "maxiter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, target_label, poison_rate=0.1, *, n_points=5, eta=2.0, popsize=10, maxiter=20,
                 surrogate="resnet", surrogate_epochs=30, n_rounds=3, device="auto", random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.n_points = n_points
        self.eta = eta
        self.popsize = popsize
        self.maxiter = maxiter
        self.surrogate = surrogate
        self.surrogate_epochs = surrogate_epochs
        self.n_rounds = n_rounds
        self.device = device
        self.random_state = random_state

    def _trigger(self, X):
        from scipy.optimize import differential_evolution

        self._check_channels(X)
        net = self.surrogate_.module_
        Xs = scaled(self.surrogate_, X)
        n, size = len(X), X.shape[1] * X.shape[2]
        k = self._points(X)
        bounds = [(0, size - 1e-6)] * k + [(-self.eta, self.eta)] * k
        deltas = np.zeros((n, size), dtype=np.float32)
        target = torch.tensor(self._target, device=Xs.device)
        for i in range(n):
            base = Xs[i].flatten()

            def loss(params, base=base):
                params = np.atleast_2d(np.asarray(params).T)  # (population, 2k)
                cand = base.repeat(len(params), 1)
                pos = torch.from_numpy(params[:, :k].astype(np.int64)).to(cand.device)
                val = torch.from_numpy(params[:, k:].astype(np.float32)).to(cand.device)
                cand.scatter_add_(1, pos, val)
                with torch.no_grad(), eval_mode(net):
                    logits = net(cand.view(len(params), *Xs.shape[1:]))
                return F.cross_entropy(logits, target.expand(len(params)), reduction="none").cpu().numpy()

            res = differential_evolution(loss, bounds, popsize=self.popsize, maxiter=self.maxiter, tol=0,
                                         seed=self._seed, vectorized=True, polish=False, updating="deferred")
            np.add.at(deltas[i], res.x[:k].astype(np.int64), res.x[k:].astype(np.float32))
        step = deltas.reshape(X.shape)
        return (X + step * channel_scale(self.surrogate_, X)).astype(np.float32)
