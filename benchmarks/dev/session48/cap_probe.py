"""evident_label_cap over network seeds (scratch, session 48)."""
import argparse, functools, sys, warnings
sys.path.insert(0, "benchmarks/dev")
from _cells import label_name, network_seed_fits, write_row
from e2abl_ts._e2abl import E2ABLObjective
p = argparse.ArgumentParser()
p.add_argument("--fits", required=True); p.add_argument("--cap", type=lambda v: v if v == "peers" else float(v), default=None)
p.add_argument("--network-offset", type=int, nargs="+", default=[0, 10, 20, 30])
p.add_argument("--order", default="score")
p.add_argument("--run", required=True); p.add_argument("--out", required=True)
a = p.parse_args()
warnings.filterwarnings("ignore")
E2ABLObjective.__init__ = functools.partialmethod(E2ABLObjective.__init__, evident_label_cap=a.cap, evident_cap_order=a.order)
with open(a.out, "a") as out:
    for name, trig, target, seed, nseed, clf, ca, asr in network_seed_fits(a.fits, a.network_offset):
        write_row(out, dict(run=a.run, dataset=name.split("/")[-1], attack=trig, target=label_name(target), seed=seed,
                            network_seed=nseed, cap=a.cap, order=a.order, ca=ca, asr=asr, evidence=clf.attack_evidence_,
                            backdoor_label=label_name(clf.backdoor_label_)))
