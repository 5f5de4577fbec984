"""Probe (session 18): what evidence each default fit ends with, on clean and poisoned data.

For every fit it records the backdoor label reported, whether the 16-cell shadow split named a
group, whether the tracked split holds one at the end, and how many rows the mislabelled-row flag
isolated for good. Question asked: can any of these tell clean data (issue 6: no false alarm in
most seeds) from an attack? Measured on a 2-core CPU (``resnet``, 30 epochs, 10% poison, square /
sine / burst on every distinct first / majority / minority label, seeds 0-2;
``benchmarks/results/evidence_probe_cpu_s18.jsonl``):

    python benchmarks/dev/evidence_probe.py --datasets JapaneseVowels GunPoint BasicMotions \
        --out benchmarks/results/evidence_probe_cpu_s18.jsonl

No: the shadow split names a group and the tracked split holds one on every clean JapaneseVowels
and BasicMotions fit (the easy label's own content splits), on GunPoint only on one fit of 21
(sine on class 1, seed 0, ASR 98.6); the flag isolates rows on 5 of 9 clean fits. Also seen: on BasicMotions
seed 2 (40 series, 4 poisoned) the warm start names "running", the label it names on clean data,
for all three attacks on "badminton" (ASR 100 / 93.3 / 16.7): the easy class's drops outrank 4
poisoned rows, and the label is locked after the warm start.
"""

import json
import warnings

from _cells import defended_fits, probe_parser

from e2abl_ts import _e2abl

OBJECTIVES = []
LIBRARY_INIT = _e2abl.E2ABLObjective.__init__


def recording_init(self, *args, **kwargs):
    LIBRARY_INIT(self, *args, **kwargs)
    OBJECTIVES.append(self)


def main():
    parser = probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="benchmarks/results/evidence_probe.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    _e2abl.E2ABLObjective.__init__ = recording_init
    with open(args.out, "a") as out:
        for data, trigger, target, seed, clf, _, asr in defended_fits(args.datasets, args.seeds):
            objective = OBJECTIVES[-1]
            row = dict(dataset=data, attack=trigger, target=None if target is None else str(target), seed=seed,
                       label=None if clf.backdoor_label_ is None else str(clf.backdoor_label_),
                       shadow_named=bool(objective.shadow_named), split_holds=bool(objective.clustered.any()),
                       flagged=int(objective.sticky.sum()),
                       asr=asr)
            print(row, flush=True)
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
