"""Probe (session 35): what E2ABL's warm start isolates on an image set, epoch by epoch.

Per epoch of one fit (Fashion-MNIST, ``resnet18`` at width 16, target class 0 at 10%): the AUC of
the loss-drop score for the poisoned rows (over all rows and within the target label), the second
head's median loss on the poisoned rows, on the clean rows and on the target label's clean rows,
how many poisoned rows the top ``isolation_rate`` of scores holds and the target label's share
of them, the label the defense acts on and its evidence, and |D_b|. The last line: CA / ASR (on
``--n-test`` images), the target class's test accuracy and the poisoned rows held at the end.
Measured on a 2-core CPU (session 35; ``benchmarks/results/fashion_mnist_10000_warm_start_cpu_s35_amd.txt``):

    python benchmarks/dev/image_warm_probe.py --n-train 10000 --epochs 15 --params '{"warmup_lr": 0.1}'

At ``warmup_lr=0.1`` the poisoned and clean rows' losses are both 1.1 after the warm start (AUC
0.47, 151 of the 1,000 poisoned rows in the top 20%); at 0.01 the poisoned rows' loss is 0.000
(AUC 0.98, 946 of 1,000).
"""

import argparse
import json
import warnings

import numpy as np
from sklearn.metrics import roc_auc_score

from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts.image import E2ABLImageClassifier, load_image_dataset
from e2abl_ts.metrics import attack_success_rate, clean_accuracy
from image_class_probe import ATTACKS  # the probe beside this one

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="fashion-mnist")
    parser.add_argument("--n-train", type=int, default=10000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--attack", default="badnets", choices=list(ATTACKS))
    parser.add_argument("--params", default="{}", help="classifier options as JSON")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    params = json.loads(args.params)
    X_train, y_train, X_test, y_test = load_image_dataset(args.data, n_train=args.n_train, n_test=args.n_test,
                                                          random_state=args.seed)
    attack = ATTACKS[args.attack](0, 0.1, random_state=args.seed)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    poison = np.zeros(len(y_p), dtype=bool)
    poison[attack.poison_indices_] = True
    target = y_p == 0
    after_epoch = E2ABLObjective.after_epoch

    def traced(self, epoch, net):
        out = after_epoch(self, epoch, net)
        scores, loss = self.scores().cpu().numpy(), self.loss_now.cpu().numpy()
        top = np.argsort(-scores)[: self.n_isolate]
        suspected = self.suspected.cpu().numpy()
        within = roc_auc_score(poison[target], scores[target])
        print(f"epoch {epoch + 1}: score AUC {roc_auc_score(poison, scores):.3f} (within the label {within:.3f}); "
              f"second head's median loss: poisoned {np.median(loss[poison]):.3f}, "
              f"clean {np.median(loss[~poison]):.3f}, the label's clean {np.median(loss[target & ~poison]):.3f}; "
              f"top {self.n_isolate}: {poison[top].sum()} of {poison.sum()} poisoned, the label's share "
              f"{target[top].mean():.2f}; label {self.backdoor_label} (evident {self.evident}, evidence "
              f"{self.attack_evidence}); D_b {suspected.sum()} ({(suspected & poison).sum()} poisoned)", flush=True)
        return out

    E2ABLObjective.after_epoch = traced
    clf = E2ABLImageClassifier(backbone="resnet18", backbone_kwargs={"width": 16}, n_epochs=args.epochs,
                               random_state=args.seed, device="cpu", **params).fit(X_p, y_p)
    pred, held = clf.predict(X_test), clf.suspected_poison_mask_
    print(json.dumps(dict(data=args.data, n_train=args.n_train, n_test=args.n_test, seed=args.seed, attack=args.attack,
                          params=params, epochs=args.epochs, ca=round(100 * clean_accuracy(clf, X_test, y_test), 1),
                          asr=round(100 * attack_success_rate(clf, attack, X_test, y_test), 1),
                          target_class=round(float(np.mean(pred[y_test == 0] == 0)), 2), held=int(held.sum()),
                          held_poison=int(held[poison].sum()),
                          label=None if clf.backdoor_label_ is None else str(clf.backdoor_label_),
                          evidence=clf.attack_evidence_)), flush=True)


if __name__ == "__main__":
    main()
