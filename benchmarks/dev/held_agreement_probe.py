"""Probe (session 26): at the end of a fit, does the main head place the rows D_b held back in
their label?

Per fit of the walk (``--only``: a JSON list of ``[dataset, trigger, target, seed]`` keys to keep),
the rows of the label the defense acted on (``suspected_label_``) are split into held back
(``suspected_poison_mask_``) and free, clean and poisoned; for each group, how many the final
model gives their own label with probability over 1/2. Question asked: could the main head,
trained without D_b, tell D_b's clean rows (release them) from its poisoned ones? Where the
label keeps enough free rows, yes (JapaneseVowels sine / burst seed 1: 0 of 27 held poisoned rows
agree; ECG5000 square / sine seed 2: 0 of 35; clean ECG5000: 68 of 87 and 61 of 93 held clean rows
agree), but where D_b holds (nearly) the whole label the main head has not learned it (clean
UWave: 0 of 12-13). Releasing the agreeing rows during training was measured and not kept
(docs/experiments.md, "Session 26"; rows in ``benchmarks/results/held_agreement_cpu_s26.jsonl``):

    python benchmarks/dev/held_agreement_probe.py --only benchmarks/dev/quiet_fits.json --datasets JapaneseVowels \
        GunPoint BasicMotions ../shared/data/UWaveGestureLibrary.npz ../shared/data/ECG5000_TRAIN.npz
"""

import json
import warnings

import numpy as np
from _cells import label_name, poisoned_fits, probe_parser

from e2abl_ts import E2ABLClassifier
from e2abl_ts.metrics import attack_success_rate


def counts(clf, X, y, poison):
    """Rows of the label acted on: held / free x clean / poisoned, and how many of each agree."""
    label = clf.suspected_label_
    of_label = y == label if label is not None else np.zeros(len(y), bool)
    held = np.asarray(clf.suspected_poison_mask_) & of_label
    proba = clf.predict_proba(X)
    agree = proba[np.arange(len(y)), np.searchsorted(clf.classes_, y)] > 0.5
    row = dict(label_rows=int(of_label.sum()))
    for name, rows in [("held_clean", held & ~poison), ("held_poison", held & poison),
                       ("free_clean", of_label & ~held & ~poison), ("free_poison", ~held & poison)]:
        row[name], row[name + "_agree"] = int(rows.sum()), int((rows & agree).sum())
    return row


def main():
    parser = probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=None, help="JSON list of [dataset, trigger, target, seed] keys")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    only = None if args.only is None else {tuple(k) for k in json.load(open(args.only))}
    for data, trigger, target, seed, attack, X, y, X_test, y_test in poisoned_fits(args.datasets, args.seeds):
        name = data.split("/")[-1]
        if only is not None and (name, trigger, label_name(target), seed) not in only:
            continue
        clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed, device="cpu").fit(X, y)
        poison = np.zeros(len(y), bool)
        if attack is not None:
            poison[attack.poison_indices_] = True
        row = dict(dataset=name, attack=trigger, target=label_name(target), seed=seed, ca=clf.score(X_test, y_test),
                   asr=None if attack is None else attack_success_rate(clf, attack, X_test, y_test),
                   acted=label_name(clf.suspected_label_), evidence=clf.attack_evidence_, **counts(clf, X, y, poison))
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
