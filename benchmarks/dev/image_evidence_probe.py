"""Probe (session 37): when an image fit names its backdoor label, and what a quiet fit costs.

Per fit (Fashion-MNIST, ``resnet18`` at width 16, 15 epochs, target class 0 at 10%; ``none``:
clean data): CA, ASR, the label named and its evidence, and the first epoch (1-based) whose
history names a label (``2``: the warm start's end, before any row was held back). ``--params``
passes classifier options (JSON), e.g. ``'{"no_evidence": "watch"}'`` to see what a fit that
names nothing at the warm start's end does when it then trains on every row. Measured on a
2-core Intel CPU (session 37; rows in ``benchmarks/results/fashion_mnist_evidence_cpu_s37.jsonl``):

    python benchmarks/dev/image_evidence_probe.py --n-train 3000 --n-test 1000 --seeds 0 1 2
"""

import json
import time
import warnings

from e2abl_ts.image import E2ABLImageClassifier, load_image_dataset
from e2abl_ts.metrics import attack_success_rate, clean_accuracy
# the probe beside this one (the script's folder is on sys.path)
from image_class_probe import ATTACKS, poisoned, probe_parser


def main():
    args = probe_parser(__doc__, ["none", *ATTACKS], "benchmarks/results/image_evidence_probe.jsonl").parse_args()
    warnings.filterwarnings("ignore")
    params = json.loads(args.params)
    for seed in args.seeds:
        X, y, X_test, y_test = load_image_dataset(args.data, n_train=args.n_train, n_test=args.n_test,
                                                  random_state=seed)
        for name in args.attacks:
            attack, X_p, y_p = poisoned(name, X, y, seed)
            start = time.perf_counter()
            clf = E2ABLImageClassifier(backbone="resnet18", backbone_kwargs={"width": 16}, n_epochs=15,
                                       random_state=seed, device="cpu", **params).fit(X_p, y_p)
            named = [r["epoch"] for r in clf.history_ if r.get("backdoor_label") is not None]
            row = dict(data=args.data, n_train=args.n_train, seed=seed, attack=name, params=args.params,
                       ca=round(100 * clean_accuracy(clf, X_test, y_test), 2),
                       asr=None if attack is None else round(100 * attack_success_rate(clf, attack, X_test, y_test),
                                                             2),
                       label=None if clf.backdoor_label_ is None else int(clf.backdoor_label_),
                       evidence=clf.attack_evidence_, first_named_epoch=named[0] if named else None,
                       fit_s=round(time.perf_counter() - start, 1))
            print(json.dumps(row), flush=True)
            with open(args.out, "a") as out:
                out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
