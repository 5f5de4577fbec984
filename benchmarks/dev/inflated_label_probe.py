"""Probe (session 19): where does the robust detector's ``inflated_label`` rule act?

The rule (``E2ABLObjective._flag_inflated_label``) runs once, at the end of the warm start, so
fitting ``warmup_epochs + 1`` epochs shows every fit it changes: a fit where it isolates nothing
is the same fit as without it. Prints, per fit, the rows it isolated. Measured on a 2-core CPU
(seeds 0-2, square / sine / burst at 10% on every distinct first / majority / minority label, and
clean data):

    python benchmarks/dev/inflated_label_probe.py --backbone resnet --datasets \
        ../shared/data/ECG5000_TRAIN.npz JapaneseVowels GunPoint BasicMotions ../shared/data/UWaveGestureLibrary.npz

``resnet``: it acts on the 9 ECG5000 minority-class fits (24-37 rows isolated; 35 poisoned)
and on none of the other 69 (15 of them clean). ``resnet34`` on ECG5000, UWave and
JapaneseVowels: on ECG5000's minority burst (seeds 0-2, 34-37 rows) and on none of the other 42.
"""

from _cells import warm_start_fits

from e2abl_ts import _e2abl

ISOLATED = []
LIBRARY_RULE = _e2abl.E2ABLObjective._flag_inflated_label


def recording_rule(self):
    before = int(self.sticky.sum())
    LIBRARY_RULE(self)
    ISOLATED.append(int(self.sticky.sum()) - before)


def main():
    _e2abl.E2ABLObjective._flag_inflated_label = recording_rule
    for name, trigger, target, seed, _ in warm_start_fits(__doc__.split("\n\n")[0]):
        print(f"{name} {trigger} target={target} seed={seed}: rows isolated by the rule {ISOLATED[-1]}", flush=True)

if __name__ == "__main__":
    main()
