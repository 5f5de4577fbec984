"""Probe (session 20): does a trigger reverse-engineered on the warm model tell attacks from clean data?

Neural Cleanse's question, asked of the shallow model and second head at the end of the warm
start: per label k, the smallest universal additive perturbation (RMS in standardised units, on
a grid of radii, 20 projected-gradient steps each) that sends 80% of 128 rows of the other
labels to k. A learned trigger should make its target an outlier (a small radius). Measured on a
2-core CPU (``resnet``, seed 0, 7 minutes for the 11 fits):

    python benchmarks/dev/universal_perturbation_probe.py --datasets JapaneseVowels \
        ../shared/data/ECG5000_TRAIN.npz --seeds 0

No separation: JapaneseVowels' target label needs 0.3 against 0.5-1.5 for the others, but the
same label needs 0.5 on clean data; ECG5000's first class needs 0.3 poisoned or not; the minority
target becomes reachable (1.0) under the square trigger only, never under sine or burst; GunPoint's
warm model predicts one class for all rows (radius 0).
"""

import math

import torch
import torch.nn.functional as F
from _cells import warm_start_fits

from e2abl_ts import _e2abl
from e2abl_ts._trainer import eval_mode

RADII = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0]
RADIUS_AT_WARM_END = []
LIBRARY_AFTER_EPOCH = _e2abl.E2ABLObjective.after_epoch


def smallest_radius(net, X, y, k, generator, n_rows=128, steps=20, share=0.8):
    """The first radius on ``RADII`` at which one perturbation sends ``share`` of other rows to k."""
    rows = torch.nonzero(y != k).flatten()
    xs = X[rows[torch.randperm(len(rows), generator=generator)[:n_rows]]]
    delta = torch.zeros_like(xs[0], requires_grad=True)
    target = torch.full((len(xs),), k, dtype=torch.long, device=xs.device)
    for radius in RADII:
        eps = radius * math.sqrt(xs[0].numel())
        for _ in range(steps if eps > 0 else 0):
            (grad,) = torch.autograd.grad(F.cross_entropy(net.second(xs + delta), target), delta)
            with torch.no_grad():
                delta -= eps / 5 * grad / grad.norm().clamp(min=1e-12)
                delta *= min(1.0, eps / float(delta.norm().clamp(min=1e-12)))
        with torch.no_grad():
            if float((net.second(xs + delta).argmax(1) == k).float().mean()) >= share:
                return radius
    return math.inf


def recording_after_epoch(self, epoch, net):
    out = LIBRARY_AFTER_EPOCH(self, epoch, net)
    if epoch + 1 == self.warmup_epochs:
        generator = torch.Generator().manual_seed(0)
        with eval_mode(net):
            for p in net.parameters():
                p.requires_grad_(False)
            RADIUS_AT_WARM_END.append([smallest_radius(net, self.X, self.y, k, generator)
                                       for k in range(self.n_classes)])
            for p in net.parameters():
                p.requires_grad_(True)
    return out


def main():
    _e2abl.E2ABLObjective.after_epoch = recording_after_epoch
    for name, trigger, target, seed, clf in warm_start_fits(__doc__.split("\n\n")[0]):
        radii = dict(zip(map(str, clf.classes_), RADIUS_AT_WARM_END[-1]))
        print(f"{name} {trigger} target={target} seed={seed}: radius per label {radii}", flush=True)

if __name__ == "__main__":
    main()
