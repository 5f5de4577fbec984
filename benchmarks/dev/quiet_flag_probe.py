"""Probe (session 46): filters on a quiet fit's outlier flags (the rows the main head finds far harder than the
rest of the label acted on, held back for good), on the fits that spend epochs with no attack evidence.

While a fit is quiet (no evidence names the label acted on) and past its warm start, a candidate flag
(``E2ABLObjective._candidates``) is kept only if it also passes ``--variant``:

- ``persist``: it was a candidate at the previous main-head call too;
- ``eval``: the main head, in eval mode at the epoch's end, places it in another class (p(label) < 1/2);
  the flag's own loss is taken mid-epoch, in train mode;
- ``agree``: the second head fits it at least as well as the label's median row (``flag_agreement``'s test,
  session 44's scratch patch);
- ``none``: the library's defaults (the baseline, on the same machine and thread count).

``--fits`` is a JSON list of ``[dataset, trigger, target, seed]`` (see ``_cells.listed_fits``);
``--network-offset`` fits each with ``random_state = seed + offset``. Rows: CA, ASR, evidence, and how
many candidate flags the filter turned away (``dropped``, summed over the epochs).

    OMP_NUM_THREADS=1 python benchmarks/dev/quiet_flag_probe.py --fits benchmarks/dev/quiet_fits_s44.json \\
        --variant persist --out benchmarks/results/quiet_flag_filters_cpu_s46.jsonl

Measured (session 46, 2-core Intel Xeon CPU, one thread per process): see docs/experiments.md, "Session 46".
"""

import argparse
import warnings

import torch
from _cells import label_name, network_seed_fits, write_row

from e2abl_ts._e2abl import E2ABLObjective
from e2abl_ts._trainer import eval_mode, predict_logits


def patch(variant: str, dropped: list) -> None:
    """Filter the library's outlier candidates (``_candidates``) by ``variant`` while a fit is quiet; the
    library's ``_flag_mislabelled`` then applies its budget to what is left, as it does to its own."""
    after, candidates = E2ABLObjective.after_epoch, E2ABLObjective._candidates

    def after_epoch(self, epoch, net):
        self.probe_net = net  # the eval variant asks the main head at the epoch's end
        return after(self, epoch, net)

    def filtered(self, loss, rows):
        new, z = candidates(self, loss, rows)
        if variant == "none" or self.warm or not self.quiet:
            return new, z
        if variant == "agree":
            new &= self._second_head_fits(rows)
        before = new.clone()
        if variant == "persist":
            previous = getattr(self, "probe_previous", torch.zeros_like(new))
            self.probe_previous = new.clone()
            new &= previous
        elif variant == "eval" and new.any():
            idx = torch.nonzero(new).flatten()
            with eval_mode(self.probe_net):
                logits = predict_logits(lambda x: self.probe_net(x)[0], self.X[idx], 256)
            new[idx[logits.softmax(1)[torch.arange(len(idx)), self.y[idx]] >= 0.5]] = False
        dropped.append(int((before & ~new).sum()))
        return new, z

    E2ABLObjective.after_epoch, E2ABLObjective._candidates = after_epoch, filtered


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", required=True)
    parser.add_argument("--variant", choices=["none", "persist", "eval", "agree"], required=True)
    parser.add_argument("--network-offset", type=int, nargs="+", default=[0])
    parser.add_argument("--out", default="benchmarks/results/quiet_flag_probe.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    dropped = []
    patch(args.variant, dropped)
    with open(args.out, "a") as out:
        for name, trigger, target, seed, network_seed, clf, ca, asr in network_seed_fits(args.fits,
                                                                                          args.network_offset):
            write_row(out, dict(dataset=name.split("/")[-1], attack=trigger, target=label_name(target), seed=seed,
                                network_seed=network_seed, variant=args.variant, ca=ca, asr=asr,
                                evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_),
                                dropped=sum(dropped)))
            dropped.clear()


if __name__ == "__main__":
    main()
