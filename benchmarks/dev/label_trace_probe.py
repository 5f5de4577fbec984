"""Probe (session 20): the epoch at which each default fit first names a backdoor label.

Per fit, ``history_``'s backdoor label for every epoch, with CA and ASR, over the walk of
``_cells.py`` (clean data, then square / sine / burst at 10% on each distinct first / majority /
minority label). ``--params`` passes classifier options (JSON), to compare a variant on the same
fits. Question asked: do clean fits, which end with a false alarm on every seed (issue 6), name
their label at a different time than attacked fits whose warm start shows nothing? Measured on a
2-core CPU (``resnet``, 30 epochs, seeds 0-2; ECG5000 stopped after seed 0's first four fits;
rows in ``benchmarks/results/label_trace_cpu_s20.jsonl``):

    python benchmarks/dev/label_trace_probe.py --datasets JapaneseVowels GunPoint BasicMotions \
        ../shared/data/UWaveGestureLibrary.npz ../shared/data/ECG5000_TRAIN.npz

No. The warm start (epochs 0-1) names a label on every attacked fit except JapaneseVowels sine /
burst seed 1, GunPoint's class-1 triggers seed 1 and BasicMotions seed 2, and on clean data it is
quiet on JapaneseVowels and UWave (6 of 6), ECG5000 seed 0, GunPoint seed 1 and BasicMotions seed 2.
After a quiet warm start the held-back rows' feedback names a label at epoch 2-4 on the attacked
fits and at epoch 2-11 on the clean ones (ECG5000 seed 0: 2, UWave seed 2, GunPoint seed 1 and
BasicMotions seed 2: 3): no epoch separates them. With ``--params '{"warmup_epochs": 4}'``: mean
ASR over the 45 attacked fits on the four small datasets 16.2 -> 18.6, mean CA over their 57 fits
74.5 -> 73.7.

``--attacks none`` runs the clean fits only (session 39: ``quiet_label_cap`` 0.55 on series, rows in
``benchmarks/results/label_trace_clean_quiet_label_cap_cpu_s39.jsonl``; the 10 clean fits with a quiet warm
start 84.5 -> 83.9 on average, not kept).
"""

import json
import warnings

from _cells import defended_fits, label_name, probe_parser


def main():
    parser = probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--backbone", default="resnet")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--params", default="{}", help="classifier options as JSON")
    parser.add_argument("--out", default="benchmarks/results/label_trace.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    with open(args.out, "a") as out:
        fits = defended_fits(args.datasets, args.seeds, args.backbone, args.epochs, args.attacks,
                             **json.loads(args.params))
        for data, trigger, target, seed, clf, ca, asr in fits:
            labels = [h.get("backdoor_label") for h in clf.history_]
            row = dict(dataset=data.split("/")[-1], attack=trigger, target=label_name(target), seed=seed,
                       params=args.params, ca=ca, asr=asr, labels=[label_name(v) for v in labels],
                       backdoor_label=label_name(clf.backdoor_label_), suspected_label=label_name(clf.suspected_label_),
                       evidence=clf.attack_evidence_)
            first = next((i for i, v in enumerate(labels) if v is not None), None)
            asr = "-" if row["asr"] is None else f"{100 * row['asr']:.1f}"
            print(f"{row['dataset']} {trigger} target={row['target']} seed={seed}: CA {100 * row['ca']:.1f} "
                  f"ASR {asr}, first named at epoch {first} ({labels[-1]} at the end); backdoor_label_ "
                  f"{row['backdoor_label']} (evidence: {row['evidence']})", flush=True)
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
