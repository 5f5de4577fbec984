"""Each defense's fit time over plain training of the same network, measured in one run.

E2ABL and the baselines run their default schedules scaled to --epochs: E2ABL and plain
training --epochs; ABL 5/3 of it (the paper's 100 to 60); NAD and Fine-Pruning --epochs of
training plus their phases on a 5% clean subset.

    python benchmarks/fit_time_ratio.py                         # small backbone, CPU
    python benchmarks/fit_time_ratio.py --backbone resnet34     # on a GPU: --device cuda

Synthetic data of a given shape (default: UWave's 120 x 3 x 315 scaled up to 1,000 cases);
each model is fitted --repeats times in alternation and the medians are compared.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from e2abl_ts import E2ABLClassifier, StandardClassifier
from e2abl_ts.defenses import ABLClassifier, FinePruningClassifier, NADClassifier


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backbone", default="resnet")
    p.add_argument("--shape", type=int, nargs=3, default=[1000, 3, 315], metavar=("N", "CHANNELS", "LENGTH"))
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="auto")
    p.add_argument("--models", nargs="+", default=["e2abl", "abl", "nad", "fp"])
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=args.shape).astype(np.float32)
    y = rng.integers(0, 8, size=args.shape[0])
    kw = dict(backbone=args.backbone, n_epochs=args.epochs, batch_size=args.batch_size, device=args.device,
              random_state=0)
    e = args.epochs
    makers = {
        "standard": lambda: StandardClassifier(**kw),
        "e2abl": lambda: E2ABLClassifier(**kw),
        "abl": lambda: ABLClassifier(**{**kw, "n_epochs": e * 5 // 3}, isolation_epochs=e // 3,
                                     unlearning_epochs=e // 3),
        "nad": lambda: NADClassifier(**kw),
        "fp": lambda: FinePruningClassifier(**kw),
    }
    names = ["standard", *args.models]
    times = {name: [] for name in names}
    for _ in range(args.repeats):
        for name in names:  # alternate, so drifts in machine load hit every model alike
            t0 = time.perf_counter()
            makers[name]().fit(X, y)
            times[name].append(time.perf_counter() - t0)
    std = statistics.median(times["standard"])
    device = torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else \
        f"CPU ({torch.get_num_threads()} threads)"
    print(f"{args.backbone}, X {tuple(args.shape)}, {args.epochs} epochs, batch {args.batch_size}, {device}")
    print(f"plain training {std:.2f} s (median of {args.repeats})")
    for name in args.models:
        t = statistics.median(times[name])
        print(f"{name:8s} {t:8.2f} s   / plain: {t / std:.3f}")


if __name__ == "__main__":
    main()
