"""The attacker's surrogate model: a plain classifier on the clean training set, and the
tensor plumbing (scaling, batched gradients) that optimised triggers share."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .._trainer import eval_mode, make_optimizer, train


def fit_surrogate(X, y, backbone, n_epochs, rng: np.random.Generator, device, *, estimator=None,
                  backbone_kwargs=None):
    """Train a plain classifier on clean data (the attacker's view): ``estimator`` (default
    :class:`~e2abl_ts.StandardClassifier`; the image attacks pass the image one).
    NaN-padded unequal-length series go back to their own lengths."""
    from .._validation import unpad
    from ..defenses.standard import StandardClassifier

    cls = estimator or StandardClassifier
    X = unpad(X) if X.ndim == 3 else X
    return cls(backbone=backbone, n_epochs=n_epochs, device=device, backbone_kwargs=backbone_kwargs,
               random_state=int(rng.integers(2**31 - 1))).fit(X, y)


def scaled(surrogate, X: np.ndarray) -> torch.Tensor:
    """``X`` standardised as the surrogate saw it, on the surrogate's device."""
    device = next(surrogate.module_.parameters()).device
    return torch.from_numpy(surrogate.scaler_.transform(X)).to(device)


def channel_scale(surrogate, X: np.ndarray) -> np.ndarray:
    """Per-channel scale ``(channels, 1)`` for mapping scaled perturbations back to raw units."""
    return surrogate.scaler_.scale_.reshape(X.shape[1], *([1] * (X.ndim - 2)))


def target_gradient(net, Xs: torch.Tensor, target: int, batch_size: int = 256) -> torch.Tensor:
    """Gradient of the target-class cross-entropy with respect to each (scaled) input."""
    grads = []
    with eval_mode(net):
        for s in range(0, len(Xs), batch_size):
            x = Xs[s: s + batch_size].clone().requires_grad_(True)
            loss = F.cross_entropy(net(x), torch.full((len(x),), target, device=x.device), reduction="sum")
            grads.append(torch.autograd.grad(loss, x)[0])
    return torch.cat(grads)


def train_epochs(net, Xs: torch.Tensor, y: torch.Tensor, n_epochs: int, lr: float, generator: torch.Generator,
                 batch_size: int = 64) -> None:
    """A few epochs of plain cross-entropy on the trainer core (the surrogate's update between
    trigger rounds); the surrogate is left in eval mode."""
    from ..defenses.standard import CrossEntropyObjective

    optimizer = make_optimizer("sgd", [{"params": list(net.parameters())}], lr, momentum=0.9, weight_decay=5e-4)
    train(net, Xs, y, CrossEntropyObjective(), n_epochs=n_epochs, batch_size=batch_size, optimizer=optimizer,
          generator=generator)
    net.eval()
