"""Probe (session 25): how strongly the warm start names its label, on every fit of the walk.

Per fit, at the end of the warm start: the label named, the share of the isolation budget's
suspects that carry it, and its share of the data, with ``attack_evidence_``. Question asked: do
the clean fits the warm start names a label on (GunPoint, BasicMotions, ECG5000) show a weaker
concentration than the attacked ones? No (docs/experiments.md, "Session 25"; rows in
``benchmarks/results/warm_start_concentration_cpu_s25.jsonl``). Session 27 added two readings of
the named label's own scores: ``sep``, how far apart the two groups of its loss drops lie (Otsu's
split, in pooled standard deviations: a trigger learned by some of the label's rows should make
them bimodal), and ``upper``, the size of the higher group. No again (docs/experiments.md,
"Session 27"; rows in ``benchmarks/results/warm_start_concentration_cpu_s27.jsonl``):

    python benchmarks/dev/warm_concentration_probe.py --datasets JapaneseVowels GunPoint BasicMotions \
        ../shared/data/UWaveGestureLibrary.npz ../shared/data/ECG5000_TRAIN.npz
"""

import json

import torch
from _cells import label_name, warm_start_fits

import e2abl_ts._e2abl as objective_module
from e2abl_ts._e2abl import otsu_threshold

CAPTURED = {}
_split = objective_module.E2ABLObjective._split


def _recording_split(self, net):
    _split(self, net)
    if self.warm and not self.train_all and self.backdoor_label is not None:
        suspects = torch.argsort(self.scores(), descending=True)[: self.n_isolate]
        label = self.backdoor_label
        CAPTURED.update(conc=float((self.y[suspects] == label).float().mean()),
                        share=float((self.y == label).float().mean()), yb=label, K=self.n_classes,
                        **_two_groups(self.scores()[self.y == label]))


def _two_groups(values):
    """Otsu's split of ``values``: the higher group's size and the groups' distance in pooled sd."""
    upper = values > otsu_threshold(values)
    if bool(upper.all()) or not bool(upper.any()):
        return dict(sep=0.0, upper=int(upper.sum()))
    hi, lo = values[upper], values[~upper]
    pooled = ((hi.var(unbiased=False) * len(hi) + lo.var(unbiased=False) * len(lo)) / len(values)).sqrt()
    return dict(sep=round(float((hi.mean() - lo.mean()) / pooled.clamp(min=1e-9)), 2), upper=int(upper.sum()))


def main():
    objective_module.E2ABLObjective._split = _recording_split
    for name, trigger, target, seed, clf in warm_start_fits(__doc__.split("\n\n")[0]):
        print(json.dumps(dict(d=name[:10], a=trigger, t=label_name(target), s=seed, ev=clf.attack_evidence_,
                              named=label_name(clf.backdoor_label_), **CAPTURED)), flush=True)
        CAPTURED.clear()


if __name__ == "__main__":
    main()
