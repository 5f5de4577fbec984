"""TSBA-B (Jiang et al. 2022): a generative, multiplicative, sample-specific trigger."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from .._trainer import Objective, eval_mode, train
from ..networks import BACKBONES, reset_parameters
from ..networks._base import conv
from ._base import BaseAttack
from ._surrogate import fit_surrogate, scaled


class TriggerGenerator(nn.Module):
    """A length-preserving convolutional network with a tanh output in [-1, 1]."""

    def __init__(self, channels: int, width: int = 32, kernel: int = 7):
        super().__init__()
        self.net = nn.Sequential(
            conv(1, channels, width, kernel), nn.BatchNorm1d(width), nn.ReLU(),
            conv(1, width, width, kernel), nn.BatchNorm1d(width), nn.ReLU(),
            nn.Conv1d(width, channels, kernel, padding=kernel // 2), nn.Tanh(),
        )

    def forward(self, x):
        return self.net(x)


class _JointObjective(Objective):
    """TSBA's joint training: the surrogate on clean rows and on triggered non-target rows
    labelled ``target``; the generator toward ``target``. ``net`` is ``{"generator", "surrogate"}``;
    the loop iterates over the non-target rows, each batch paired with as many random rows."""

    def __init__(self, rows, X, y, X_raw, scale, target, amplitude, generator):
        self.rows, self.X, self.y, self.X_raw, self.scale = rows, X, y, X_raw, scale
        self.target, self.amplitude, self.generator = target, amplitude, generator

    def epoch_rows(self, epoch):
        return self.rows

    def batch_loss(self, net, xb, yb, idx):
        clean_idx = torch.randint(len(self.X), (len(idx),), generator=self.generator).to(idx.device)
        g = net["generator"](xb)
        x_trig = xb + self.amplitude * g * self.X_raw[idx] / self.scale
        surrogate = net["surrogate"]
        loss = (F.cross_entropy(surrogate(self.X[clean_idx]), self.y[clean_idx])
                + F.cross_entropy(surrogate(x_trig), torch.full_like(idx, self.target))
                + g.mean(dim=-1).pow(2).mean())  # no global rescaling: see TSBAAttack
        return loss, {"loss": loss.detach()}


class TSBAAttack(BaseAttack):
    """TSBA-B: a trigger generator trained against a surrogate, then frozen to poison data.

    The generator ``g`` maps a (standardised) series to ``[-1, 1]``; the triggered series is
    ``x' = (1 + amplitude * g(x)) * x`` in the data's own units, so each point moves by at most
    ``amplitude`` of its value. ``g`` and the surrogate train together for
    ``generator_epochs`` (the surrogate on clean data and on triggered non-target data labelled
    ``target_label``; ``g`` to make the surrogate predict ``target_label``); ``g`` is then
    frozen, emits the poisoned rows (the B, data-poisoning, form) and serves ``apply_trigger``.
    A penalty on the squared time-mean of ``g`` keeps the trigger from becoming a global
    rescaling of the series: without it, the victim read amplitude as the target class and lost
    clean accuracy (ECG5000, Wang ResNet, 30 epochs: clean CA 93.3 -> 58.7 poisoned; with it
    89.3, ASR 85.5).

    Parameters
    ----------
    target_label : label
    poison_rate : float in (0, 1), default=0.1
    amplitude : float, default=0.1
        The paper's bound. On UWave (Wang ResNet victim, 30 epochs, 10% poison, no defense) the
        victim learns it only when larger: ASR 11.4 at 0.1, 36.4 at 0.2, 80.4 at 0.4 (clean CA
        80.0, poisoned 75.3); on ECG5000 0.1 reaches 95.2.
    surrogate : {"resnet", "resnet18", "resnet34", "fcn"}, default="resnet"
    surrogate_epochs : int, default=20
        Clean pre-training of the surrogate.
    generator_epochs : int, default=30
    generator_lr : float, default=1e-3
        Adam learning rate of the generator (and of the surrogate during joint training).
    device : str, default="auto"
    random_state : int, Generator or None

    Reference: Y. Jiang, X. Ma, S. M. Erfani, J. Bailey, "Backdoor Attacks on Time Series: A
    Generative Approach", arXiv 2211.07915 (2022).
    """

    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "amplitude": [Interval(Real, 0, None, closed="neither")],
        "surrogate": [StrOptions(set(BACKBONES))],
        "surrogate_epochs": [Interval(Integral, 1, None, closed="left")],
        "generator_epochs": [Interval(Integral, 1, None, closed="left")],
        "generator_lr": [Interval(Real, 0, None, closed="neither")],
        "device": [str, torch.device, None],
    }

    def __init__(self, target_label, poison_rate=0.1, *, amplitude=0.1, surrogate="resnet", surrogate_epochs=20,
                 generator_epochs=30, generator_lr=1e-3, device="auto", random_state=None):
        self.target_label = target_label
        self.poison_rate = poison_rate
        self.amplitude = amplitude
        self.surrogate = surrogate
        self.surrogate_epochs = surrogate_epochs
        self.generator_epochs = generator_epochs
        self.generator_lr = generator_lr
        self.device = device
        self.random_state = random_state

    def _fit_trigger(self, X, y, rng):
        self.surrogate_ = fit_surrogate(X, y, self.surrogate, self.surrogate_epochs, rng, self.device)
        net = self.surrogate_.module_
        device = next(net.parameters()).device
        torch_gen = torch.Generator().manual_seed(int(rng.integers(2**31 - 1)))
        with torch.random.fork_rng(devices=[]):
            gen = TriggerGenerator(X.shape[1])
        reset_parameters(gen, torch_gen)
        self.generator_ = gen.to(device)
        target = int(np.searchsorted(self.surrogate_.classes_, self.target_label_))
        Xs = scaled(self.surrogate_, X)
        # unequal-length padding (NaN) reads as the channel mean: zero once scaled, as the surrogate saw it
        X_raw = torch.from_numpy(np.where(np.isnan(X), self.surrogate_.scaler_.mean_, X).astype(np.float32)).to(device)
        y_t = torch.from_numpy(np.searchsorted(self.surrogate_.classes_, y)).to(device)
        scale = torch.from_numpy(self.surrogate_.scaler_.scale_).to(device)
        others = torch.nonzero(y_t != target).flatten().cpu()
        joint = nn.ModuleDict({"generator": gen, "surrogate": net})
        objective = _JointObjective(others, Xs, y_t, X_raw, scale, target, self.amplitude, torch_gen)
        optimizer = torch.optim.Adam(list(gen.parameters()) + list(net.parameters()), lr=self.generator_lr)
        train(joint, Xs, y_t, objective, n_epochs=self.generator_epochs, batch_size=64, optimizer=optimizer,
              generator=torch_gen)
        gen.eval().requires_grad_(False)
        net.eval()

    def _trigger(self, X):
        if X.shape[1] != self.surrogate_.n_channels_:
            raise ValueError(f"X has {X.shape[1]} channels; the generator was fitted on {self.surrogate_.n_channels_}.")
        with torch.no_grad(), eval_mode(self.generator_):
            Xs = scaled(self.surrogate_, X)
            g = torch.cat([self.generator_(Xs[s: s + 256]) for s in range(0, len(Xs), 256)]).cpu().numpy()
        return (X * (1 + self.amplitude * g)).astype(np.float32)
