"""Probe (session 47): the quiet fits' label scan bar (``E2ABLObjective._scan_labels``), ``min_clean_side`` and a
``follow`` that never shrinks the held group, over network seeds.

After a quiet warm start every label of at least ``LARGE_LABEL_ROWS`` rows is split each epoch along its
label-specific direction, and the first label whose split clears the bar (both side rules agreeing) is named.
On JapaneseVowels' quiet attacked fits the target label's split projects the poison at AUC 0.98-1.0 from the
first epochs on, at a separation of 3.2-3.8: under the bar of 5 used before session 47 (``SCAN_BAR`` is 3.5 now).

``--fits`` is a JSON list of ``[dataset, trigger, target, seed]`` (see ``_cells.listed_fits``);
``--network-offset`` fits each with ``random_state = seed + offset``; ``--bar`` the scan's bar;
``--min-clean-side`` the estimator's ``min_clean_side`` (0: off; not given: the library's); ``--follow-union``
unites the group ``follow`` picks with the previous group (tried, not kept). Rows: CA, ASR, evidence, the label
named. The session's baseline rows (``"bar": 5.0, "min_clean_side": null``) were taken while the library's
``min_clean_side`` was off: today they are ``--bar 5 --min-clean-side 0``.

    OMP_NUM_THREADS=1 python benchmarks/dev/scan_bar_probe.py --fits benchmarks/dev/japanesevowels_fits_s46.json \\
        --bar 3.5 --min-clean-side 0.5 --network-offset 0 10 20 30 --out benchmarks/results/scan_bar_cpu_s47.jsonl

Measured (session 47, 2-core Intel Xeon CPU, one thread per process): see docs/experiments.md, "Session 47".
"""

import argparse
import functools
import warnings

from _cells import label_name, network_seed_fits, write_row

from e2abl_ts import _e2abl
from e2abl_ts._e2abl import E2ABLObjective


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", required=True)
    parser.add_argument("--bar", type=float, required=True)
    parser.add_argument("--min-clean-side", type=float, default=None,
                        help="the estimator's min_clean_side (0: off; not given: the library's)")
    parser.add_argument("--follow-union", action="store_true",
                        help="a group the tracked split follows keeps every row it held before (not kept)")
    parser.add_argument("--network-offset", type=int, nargs="+", default=[0])
    parser.add_argument("--out", default="benchmarks/results/scan_bar_probe.jsonl")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    E2ABLObjective._scan_labels = functools.partialmethod(E2ABLObjective._scan_labels, bar=args.bar)
    # 0: off (None); not given: the library's default
    params = {} if args.min_clean_side is None else {"min_clean_side": args.min_clean_side or None}
    if args.follow_union:
        follow = _e2abl.follow

        def union(upper, previous, overlap=0.5):
            named = follow(upper, previous, overlap)
            return None if named is None else named | previous

        _e2abl.follow = union
    with open(args.out, "a") as out:
        for name, trigger, target, seed, network_seed, clf, ca, asr in network_seed_fits(args.fits,
                                                                                          args.network_offset,
                                                                                          **params):
            write_row(out, dict(dataset=name.split("/")[-1].removesuffix(".npz"), attack=trigger,
                                target=label_name(target), seed=seed, network_seed=network_seed, bar=args.bar,
                                min_clean_side=args.min_clean_side, follow_union=args.follow_union, ca=ca, asr=asr,
                                evidence=clf.attack_evidence_, backdoor_label=label_name(clf.backdoor_label_)))


if __name__ == "__main__":
    main()
