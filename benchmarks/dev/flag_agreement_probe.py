"""Probe (session 40): which of the main head's outlier candidates the second head fits.

Runs ``image_class_probe.py`` (same arguments; one JSON row per fit) and, for every call of the
outlier test after the warm start (``E2ABLObjective._flag_mislabelled``), prints to stderr its
candidates (``E2ABLObjective._candidates``: robust z over ``mislabel_z``, p(label) < 1/2, past
``flag_band``) split into poisoned and clean rows, and how many of each pass ``flag_agreement``'s
test (``E2ABLObjective._second_head_fits``: the second head fits the row at least as well as the
label's median row). Fashion-MNIST 10,000 / 2,000, the six BadNets / Trojan fits, seeds
0-2 (2-core Intel Xeon): 177 of 178 poisoned candidates pass, 184 of 3,273 clean ones (counted per
call)::

    python benchmarks/dev/flag_agreement_probe.py --n-train 10000 --n-test 2000 --attacks badnets trojan \
        --params '{"flag_agreement": false}' --out /tmp/rows.jsonl 2> candidates.jsonl
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import image_class_probe  # noqa: E402

from e2abl_ts._e2abl import E2ABLObjective  # noqa: E402

_candidates, _poisoned = E2ABLObjective._candidates, image_class_probe.poisoned
POISON: list[torch.Tensor] = []


def candidates(self, loss, rows):
    new, z = _candidates(self, loss, rows)
    if not self.warm and POISON:
        poison, agree = POISON[-1].to(new.device), self._second_head_fits(rows)
        print(json.dumps(dict(cand_poison=int((new & poison).sum()), cand_clean=int((new & ~poison).sum()),
                              pass_poison=int((new & poison & agree).sum()),
                              pass_clean=int((new & ~poison & agree).sum()))), file=sys.stderr, flush=True)
    return new, z


def poisoned(name, X, y, seed):
    attack, X_p, y_p = _poisoned(name, X, y, seed)
    POISON.append(torch.zeros(len(y_p), dtype=torch.bool))
    if attack is not None:
        POISON[-1][attack.poison_indices_] = True
    return attack, X_p, y_p


if __name__ == "__main__":
    E2ABLObjective._candidates = candidates
    image_class_probe.poisoned = poisoned
    image_class_probe.main()
