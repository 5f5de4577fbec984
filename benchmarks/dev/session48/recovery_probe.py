"""split_recovery='hold' over network seeds (scratch, session 48), with the target class's accuracy."""
import argparse, functools, sys, warnings
sys.path.insert(0, "benchmarks/dev")
import numpy as np
from _cells import label_name, network_seed_fits, write_row
from e2abl_ts import E2ABLClassifier
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import target_class_accuracy
p = argparse.ArgumentParser()
p.add_argument("--fits", required=True); p.add_argument("--recovery", required=True)
p.add_argument("--network-offset", type=int, nargs="+", default=[0, 10, 20, 30])
p.add_argument("--run", required=True); p.add_argument("--out", required=True)
a = p.parse_args()
warnings.filterwarnings("ignore")
orig = E2ABLClassifier._resolved_options
def resolved(self, backbone, X):
    o = orig(self, backbone, X); o["split_recovery"] = a.recovery; return o
E2ABLClassifier._resolved_options = resolved
load = functools.lru_cache(maxsize=None)(load_dataset)
with open(a.out, "a") as out:
    for name, trig, target, seed, nseed, clf, ca, asr in network_seed_fits(a.fits, a.network_offset):
        X, y, Xt, yt = load(name)
        label = np.unique(y)[0] if target is None else target
        write_row(out, dict(run=a.run, dataset=name.split("/")[-1].removesuffix(".npz"), attack=trig, target=label_name(label),
                            seed=seed, network_seed=nseed, recovery=a.recovery, ca=ca, asr=asr,
                            target_ca=round(100 * target_class_accuracy(clf, Xt, yt, label), 1),
                            evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_)))
