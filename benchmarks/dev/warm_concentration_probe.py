"""Probe (session 25): how strongly the warm start names its label, on every fit of the walk.

Per fit, at the end of the warm start: the label named, the share of the isolation budget's
suspects that carry it, and its share of the data, with ``attack_evidence_``. Question asked: do
the clean fits the warm start names a label on (GunPoint, BasicMotions, ECG5000) show a weaker
concentration than the attacked ones? No (docs/experiments.md, "Session 25"; rows in
``benchmarks/results/warm_start_concentration_cpu_s25.jsonl``):

    python benchmarks/dev/warm_concentration_probe.py --datasets JapaneseVowels GunPoint BasicMotions \
        ../shared/data/UWaveGestureLibrary.npz ../shared/data/ECG5000_TRAIN.npz
"""

import json

import torch
from _cells import label_name, warm_start_fits

import e2abl_ts._e2abl as objective_module

CAPTURED = {}
_split = objective_module.E2ABLObjective._split


def _recording_split(self, net):
    _split(self, net)
    if self.warm and not self.train_all and self.backdoor_label is not None:
        suspects = torch.argsort(self.scores(), descending=True)[: self.n_isolate]
        label = self.backdoor_label
        CAPTURED.update(conc=float((self.y[suspects] == label).float().mean()),
                        share=float((self.y == label).float().mean()), yb=label, K=self.n_classes)


def main():
    objective_module.E2ABLObjective._split = _recording_split
    for name, trigger, target, seed, clf in warm_start_fits(__doc__.split("\n\n")[0]):
        print(json.dumps(dict(d=name[:10], a=trigger, t=label_name(target), s=seed, ev=clf.attack_evidence_,
                              named=label_name(clf.backdoor_label_), **CAPTURED)), flush=True)
        CAPTURED.clear()


if __name__ == "__main__":
    main()
