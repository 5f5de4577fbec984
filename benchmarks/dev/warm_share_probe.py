"""Probe (session 46): what the warm start's evidence rests on, over network seeds.

Each fit of the walk (``_cells.poisoned_fits``) is trained through the end of its warm start and one
epoch more, with ``random_state = seed + offset`` for each ``--network-offset``. At the warm start's
split it records the label the second head names for D_b (``y_b``), D_b's share of that label
(``share``; the attack is evident at 0.5) and in D_b's top half (``half``), the label's share of the
data (``base``), how many poisoned rows D_b holds, and how many of D_b's rows of ``y_b`` look like another
class in input space (``foreign_*``: their 5 nearest rows mostly carry another label; see ``foreign``); then
the evidence the fit reports.

    OMP_NUM_THREADS=1 python benchmarks/dev/warm_share_probe.py --datasets ../shared/data/ECG5000_TRAIN.npz \\
        --network-offset 0 10 20 30 --out benchmarks/results/warm_share_ecg5000_cpu_s46.jsonl
    OMP_NUM_THREADS=1 python benchmarks/dev/warm_share_probe.py --datasets JapaneseVowels GunPoint BasicMotions \
        ../shared/data/UWaveGestureLibrary.npz ../shared/data/ECG5000_TRAIN.npz --network-offset 0 10 \
        --out benchmarks/results/warm_share_knn_cpu_s46.jsonl

(the first run's rows predate the ``foreign_*`` fields.)

Measured (session 46, 2-core Intel Xeon CPU): see docs/experiments.md, "Session 46".
"""

import json
import warnings

import numpy as np
import torch
from _cells import label_name, poisoned_fits, probe_parser

from e2abl_ts import E2ABLClassifier
from e2abl_ts._e2abl import E2ABLObjective


def foreign(objective, suspects, y_b, poison, k=5):
    """D_b's rows of ``y_b`` whose ``k`` nearest rows in input space (Euclidean, the series flattened) mostly
    carry another label: all of them, the clean ones and the poisoned ones; nearest among every other row
    (``all``) or among the rows outside D_b (``out``)."""
    X, y = objective.X.flatten(1), objective.y
    rows = suspects[y[suspects] == y_b]
    if len(rows) == 0:
        return {}
    result = {}
    for name, reference in (("all", torch.ones(len(y), dtype=torch.bool)),
                            ("out", ~torch.isin(torch.arange(len(y)), suspects))):
        d = torch.cdist(X[rows], X[reference])
        ref_idx = torch.nonzero(reference).flatten()
        d[ref_idx.unsqueeze(0) == rows.unsqueeze(1)] = torch.inf  # not its own neighbour
        votes = y[ref_idx[d.topk(min(k, d.shape[1]), largest=False).indices]]
        away = torch.mode(votes, dim=1).values != y_b
        for part, keep in (("", torch.ones_like(away)), ("_clean", ~poison[rows]), ("_poison", poison[rows])):
            result[f"foreign_{name}{part}"] = round(float(away[keep].float().mean()), 3) if keep.any() else None
    result["n_label_in_db"] = len(rows)
    return result


def main():
    parser = probe_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--network-offset", type=int, nargs="+", default=[0])
    parser.add_argument("--out", default="benchmarks/results/warm_share_probe.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    split, seen = E2ABLObjective._split, {}

    def traced(self, net):
        first = self.warm and "row" not in seen
        split(self, net)
        if first:  # the warm start's split, before any row is held back
            suspects = torch.argsort(self.scores(), descending=True)[: self.n_isolate]
            y_b = self.backdoor_label
            seen["row"] = dict(y_b=y_b, share=round(float((self.y[suspects] == y_b).float().mean()), 3),
                               half=round(float((self.y[suspects[: len(suspects) // 2]] == y_b).float().mean()), 3),
                               base=round(float((self.y == y_b).float().mean()), 3), n_isolate=self.n_isolate,
                               poison_in=int(seen["poison"][suspects].sum()), n_poison=int(seen["poison"].sum()),
                               **foreign(self, suspects, y_b, seen["poison"]))

    E2ABLObjective._split = traced
    with open(args.out, "a") as out:
        for data, trigger, target, seed, attack, X_p, y_p, _, _ in poisoned_fits(args.datasets, args.seeds,
                                                                                 args.attacks):
            mask = np.zeros(len(y_p), dtype=bool)
            if attack is not None:
                mask[attack.poison_indices_] = True
            for offset in args.network_offset:
                seen.clear()
                seen["poison"] = torch.as_tensor(mask)
                clf = E2ABLClassifier(backbone="resnet", random_state=seed + offset, device="cpu")
                clf.set_params(n_epochs=clf.warmup_epochs + 1).fit(X_p, y_p)
                row = dict(data=data.split("/")[-1].removesuffix(".npz"), trigger=trigger, target=label_name(target),
                           seed=seed, network_seed=seed + offset, evidence=clf.attack_evidence_, **seen["row"])
                row["y_b_is_target"] = target is not None and str(clf.classes_[row["y_b"]]) == str(target)
                print(json.dumps(row), flush=True)
                out.write(json.dumps(row) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
