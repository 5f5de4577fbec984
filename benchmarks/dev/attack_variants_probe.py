"""One attack on a few datasets and seeds, E2ABL with a few parameter variants: CA, ASR, isolation
precision / recall, the inferred label and |D_b| every third epoch. Each seed re-splits ``.npz``
data with ``random_state=seed`` (the runner keeps split 0), so its cells are not the matrix's.

    python benchmarks/dev/attack_variants_probe.py --datasets JapaneseVowels --attack tt-fgsm \
        --seeds 0 1 2 --variants '{}' '{"scan_labels": false}'
"""
import argparse
import json
import time
import warnings

from e2abl_ts import E2ABLClassifier
from e2abl_ts.benchmark._registry import ATTACKS, resolve_target
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import attack_success_rate, isolation_precision_recall

warnings.filterwarnings("ignore")
ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
ap.add_argument("--datasets", nargs="+", required=True)
ap.add_argument("--attack", default="tt-fgsm")
ap.add_argument("--target", default="first")
ap.add_argument("--rate", type=float, default=0.1)
ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
ap.add_argument("--variants", nargs="+", default=["{}"], help="E2ABLClassifier parameters as JSON, one per variant")
ap.add_argument("--out", default=None, help="append the rows to this .jsonl")
a = ap.parse_args()
for d in a.datasets:
    for s in a.seeds:
        X, y, Xt, yt = load_dataset(d, random_state=s)
        t = resolve_target(y, a.target)
        atk = ATTACKS[a.attack](t, a.rate, s)
        Xp, yp = atk.fit_resample(X, y)
        for v in a.variants:
            t0 = time.time()
            clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=s, device="cpu",
                                  **json.loads(v)).fit(Xp, yp)
            asr = attack_success_rate(clf, atk, Xt, yt)
            p, r = isolation_precision_recall(clf.suspected_poison_mask_, atk.poison_indices_)
            trace = " ".join(str(h.get("n_suspected")) for h in clf.history_[::3])
            row = dict(dataset=d.split("/")[-1], attack=a.attack, rate=a.rate, seed=s, variant=v,
                       ca=clf.score(Xt, yt), asr=asr, p=p, r=r, label=str(clf.backdoor_label_))
            print(f"{row['dataset'][:8]} {a.attack} {a.rate:g} s{s} {v}: CA {100 * row['ca']:.1f} "
                  f"ASR {100 * asr:.1f} P/R {p:.2f}/{r:.2f} lab {row['label']} ({t}) nsus[{trace}] "
                  f"{time.time() - t0:.0f}s", flush=True)
            if a.out:
                with open(a.out, "a") as out:
                    out.write(json.dumps(row) + "\n")
