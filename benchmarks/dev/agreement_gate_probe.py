"""Probe (session 41): does the second head tell the held group apart, call by call?

Runs ``image_class_probe.py`` (same arguments; one JSON row per fit) and, for every call of
``flag_agreement``'s test (``E2ABLObjective._second_head_fits``), prints to stderr the size of the
backdoor label's held group and where its median row lies among the second head's losses over the
label's main-head rows (``E2ABLObjective._held_place``; the test stands at 0.25 or less).
Fashion-MNIST 10,000 / 2,000, seed 0 (2-core Intel Xeon): BadNets 0.02-0.26 over its 13 calls
(one over 0.25), Trojan under 0.25 on all 13, Blend 0.19 on the first call and 0.29-0.58 after::

    python benchmarks/dev/agreement_gate_probe.py --n-train 10000 --n-test 2000 --seeds 0 \\
        --params '{"flag_agreement": true}' --out /tmp/rows.jsonl 2> places.jsonl
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import image_class_probe  # noqa: E402

from e2abl_ts._e2abl import AGREEMENT_PLACE, E2ABLObjective  # noqa: E402

_second_head_fits = E2ABLObjective._second_head_fits


def second_head_fits(self, rows):
    place = self._held_place(rows)
    held = int(self._held_group().sum())
    print(json.dumps(dict(held=held, place=place, test_stands=place is None or place <= AGREEMENT_PLACE)),
          file=sys.stderr, flush=True)
    return _second_head_fits(self, rows)


if __name__ == "__main__":
    E2ABLObjective._second_head_fits = second_head_fits
    image_class_probe.main()
