"""Trace what a warm-start alarm holds back, clean vs attacked (scratch, session 48)."""
import sys, json, warnings
import numpy as np, torch
sys.path.insert(0, "benchmarks/dev")
from _cells import listed_fits
from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.metrics import attack_success_rate
warnings.filterwarnings("ignore")
fits_path, offsets = sys.argv[1], [int(o) for o in sys.argv[2].split(",")]
kw = eval(sys.argv[3]) if len(sys.argv) > 3 else {}
LOG = []
orig = E2ABLObjective.after_epoch
def after(self, epoch, net):
    out = orig(self, epoch, net)
    if epoch + 1 >= self.warmup_epochs and self.backdoor_label is not None:
        lab = self.y == self.backdoor_label
        pois = POISON.to(lab.device)
        sc = self.scores()
        lab_idx = torch.nonzero(lab).flatten()
        order = lab_idx[torch.argsort(sc[lab_idx], descending=True)]
        LOG.append(dict(ep=epoch, lab=int(self.backdoor_label), ev=self.attack_evidence, n_lab=int(lab.sum()),
                        held=int((lab & ~self.main_rows).sum()), held_p=int((pois & ~self.main_rows).sum()), stk_p=int((pois & self.sticky).sum()),
                        sticky=int(self.sticky.sum()), mh=hash(tuple(torch.nonzero(~self.main_rows).flatten().tolist())) % 1000, tg=int((self.targets != self.y).sum()), clus=int(self.clustered.sum()), unl=int(self.unlearn.sum()),
                        prank="".join("P" if pois[i] else "." for i in order.tolist())))
    return out
E2ABLObjective.after_epoch = after
import functools, os
if os.environ.get("CAP"): E2ABLObjective.__init__ = functools.partialmethod(E2ABLObjective.__init__, evident_label_cap=(os.environ["CAP"] if os.environ["CAP"] == "peers" else float(os.environ["CAP"])), evident_cap_order=os.environ.get("ORDER", "score"))
for name, trig, target, seed, attack, X, y, Xt, yt in listed_fits(fits_path):
    for off in offsets:
        LOG.clear()
        POISON = torch.zeros(len(y), dtype=torch.bool)
        if attack is not None:
            POISON[torch.as_tensor(attack.poison_indices_)] = True
        clf = E2ABLClassifier(backbone="resnet", n_epochs=30, random_state=seed + off, device="cpu", **kw).fit(X, y)
        ca = 100 * clf.score(Xt, yt)
        asr = None if attack is None else 100 * attack_success_rate(clf, attack, Xt, yt)
        pred = clf.predict(Xt)
        percls = {str(c): round(float((pred[yt == c] == c).mean()), 2) for c in np.unique(yt)}
        print(f"== {name} {trig} {target} s{seed} n{seed+off} CA {ca:.1f} ASR {asr} label {clf.suspected_label_} ev {clf.attack_evidence_} {percls}")
        for e in LOG[:1] + LOG[1::int(os.environ.get("EVERY", 4))] + LOG[-1:]:
            print("   ", e)
        sys.stdout.flush()
