"""Time to poison 10% of an ArabicDigits-sized set (6,600 x 13 x 93, synthetic) per attack.

    python benchmarks/attack_cost.py --attacks tt-fgsm tsba --surrogate-epochs 5

The surrogate's training is reported apart from the trigger generation (the part the attack's
algorithm controls). Synthetic Gaussian series of the real shape are enough for timing.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from e2abl_ts.attacks import StaticTriggerAttack, TimeTrojanDEAttack, TimeTrojanFGSMAttack, TSBAAttack
from e2abl_ts.attacks import _surrogate, timetrojan, tsba


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shape", type=int, nargs=3, default=[6600, 13, 93], metavar=("N", "CHANNELS", "LENGTH"))
    p.add_argument("--attacks", nargs="+", default=["static", "tt-fgsm", "tt-de", "tsba"])
    p.add_argument("--surrogate-epochs", type=int, default=5)
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=args.shape).astype(np.float32)
    y = rng.integers(0, 10, size=args.shape[0]).astype(str)
    common = dict(surrogate_epochs=args.surrogate_epochs, device=args.device, random_state=0)
    makers = {
        "static": lambda: StaticTriggerAttack("0", random_state=0),
        "tt-fgsm": lambda: TimeTrojanFGSMAttack("0", **common),
        "tt-de": lambda: TimeTrojanDEAttack("0", **common),
        "tsba": lambda: TSBAAttack("0", **common),
    }
    surrogate_time = {"t": 0.0}
    fit = _surrogate.fit_surrogate

    def timed_fit(*a, **k):
        t0 = time.perf_counter()
        out = fit(*a, **k)
        surrogate_time["t"] += time.perf_counter() - t0
        return out

    for module in (timetrojan, tsba):
        module.fit_surrogate = timed_fit
    device = torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else \
        f"CPU ({torch.get_num_threads()} threads)"
    print(f"X {tuple(args.shape)}, 10% poisoned, {device}; surrogate: resnet, {args.surrogate_epochs} epochs")
    for name in args.attacks:
        surrogate_time["t"] = 0.0
        t0 = time.perf_counter()
        makers[name]().fit_resample(X, y)
        total = time.perf_counter() - t0
        print(f"{name:8s} total {total:7.1f} s   surrogate {surrogate_time['t']:7.1f} s   "
              f"trigger generation {total - surrogate_time['t']:7.1f} s", flush=True)


if __name__ == "__main__":
    main()
