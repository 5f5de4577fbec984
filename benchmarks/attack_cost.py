"""Time to poison 10% of an ArabicDigits-sized set (6,600 x 13 x 93, synthetic) per attack.

    python benchmarks/attack_cost.py                      # every attack at its own defaults
    python benchmarks/attack_cost.py --attacks tt-fgsm tsba --surrogate-epochs 5

The surrogate's training is reported apart from the trigger generation (the part the attack's
algorithm controls). Synthetic Gaussian series of the real shape are enough for timing.

TT-DE searches each series' trigger on its own (a differential evolution per series), so its
cost is linear in the number of series it triggers: with ``--de-sample N`` (default 20) the
search runs for real on N series of each batch it is asked for, the rest are left untriggered,
and the total is extrapolated from the measured time per series. The output says so.
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
    p.add_argument("--surrogate-epochs", type=int, default=None,
                   help="override every attack's surrogate epochs (default: each attack's own)")
    p.add_argument("--de-sample", type=int, default=20,
                   help="TT-DE: series searched for real per call; the rest extrapolated (0: all)")
    p.add_argument("--device", default="auto")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=args.shape).astype(np.float32)
    y = rng.integers(0, 10, size=args.shape[0]).astype(str)
    common = dict(device=args.device, random_state=0)
    if args.surrogate_epochs is not None:
        common["surrogate_epochs"] = args.surrogate_epochs
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

    de = {"searched": 0, "asked": 0, "t": 0.0}
    de_trigger = TimeTrojanDEAttack._trigger

    def sampled_de_trigger(self, X):
        n = len(X) if args.de_sample <= 0 else min(len(X), args.de_sample)
        t0 = time.perf_counter()
        out = X.copy()
        out[:n] = de_trigger(self, X[:n])
        de["t"] += time.perf_counter() - t0
        de["searched"] += n
        de["asked"] += len(X)
        return out

    TimeTrojanDEAttack._trigger = sampled_de_trigger
    device = torch.cuda.get_device_name() if torch.cuda.is_available() and args.device != "cpu" else \
        f"CPU ({torch.get_num_threads()} threads)"
    print(f"X {tuple(args.shape)}, 10% poisoned, {device}")
    for name in args.attacks:
        surrogate_time["t"] = 0.0
        de.update(searched=0, asked=0, t=0.0)
        attack = makers[name]()
        t0 = time.perf_counter()
        attack.fit_resample(X, y)
        total = time.perf_counter() - t0
        note = ""
        if de["asked"] > de["searched"]:
            per_series = de["t"] / de["searched"]
            total += per_series * (de["asked"] - de["searched"])
            note = (f"   (extrapolated: {de['searched']} of {de['asked']} trigger searches run, "
                    f"{per_series:.2f} s each)")
        epochs = getattr(attack, "surrogate_epochs", None)
        print(f"{name:8s} total {total:7.1f} s   surrogate {surrogate_time['t']:7.1f} s"
              f"{'' if epochs is None else f' ({epochs} epochs)'}   "
              f"trigger generation {total - surrogate_time['t']:7.1f} s{note}", flush=True)


if __name__ == "__main__":
    main()
