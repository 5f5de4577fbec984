"""An estimator parameter over network seeds with the target class's accuracy (scratch, s48)."""
import functools, json, sys, warnings
sys.path.insert(0, "benchmarks/dev")
import numpy as np
from _cells import label_name, network_seed_fits, write_row
from e2abl_ts.datasets import load_dataset
from e2abl_ts.metrics import target_class_accuracy
warnings.filterwarnings("ignore")
fits, run, out_path, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
load = functools.lru_cache(maxsize=None)(load_dataset)
with open(out_path, "a") as out:
    for name, trig, target, seed, nseed, clf, ca, asr in network_seed_fits(fits, [0, 10, 20, 30], **params):
        X, y, Xt, yt = load(name)
        label = np.unique(y)[0] if target is None else target
        write_row(out, dict(run=run, dataset=name.split("/")[-1].removesuffix(".npz"), attack=trig, target=label_name(label),
                            seed=seed, network_seed=nseed, params=params, ca=ca, asr=asr,
                            target_ca=round(100 * target_class_accuracy(clf, Xt, yt, label), 1),
                            evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_)))
