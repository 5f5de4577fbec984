"""Probe (session 18, the lead for the next session): gate the tracked split on series by a higher
separation bar for its first naming instead of the 16-cell shadow split.

With ResNet-34 (60 epochs) ECG5000's burst on its majority class, seed 0, passes the library's
gate (ASR 80.6 / CA 87.3): the 16-cell shadow split never holds a group there, while the 8-cell
split names the poison at the end of the warm start along the top principal direction
(separation 5.1 at the bar of 5; without the gate 1.6 / 89.3). On OSULeaf's majority burst, the
case the gate was made for, the 8-cell split named the clean content at separations 3.6-4.4 along
the label-specific direction (bar 3.5). So this probe drops the shadow and asks the 8-cell split
for a separation of at least 4.5 until it has named a group once (``cluster_sep`` after that).
Measured on a 2-core CPU, ASR / CA: OSULeaf (the suite's fit) 2.5 / 62.0, recall 0.95;
ECG5000 burst seed 0, ResNet-34, 60 epochs, 1.6 / 89.3. Robustness matrix, small datasets,
seeds 0-2 (``benchmarks/results/robustness_matrix_bar_gate_probe_cpu_s18.jsonl``): mean ASR 23.0
(15 fits above 5) and CA gap -1.2, against the library gate's 20.8 (15) and -1.7; it wins
JapaneseVowels square seed 1 (3.5 against 23.0) and GunPoint square seed 1 (0.0 against 29.7),
loses JapaneseVowels sine seed 0 (44.2 against 0.0) and GunPoint square seeds 0 / 2 (33.8 and
91.9 against 2.7 and 2.7). Not measured: UWave with ResNet-34, ECG5000 / UWave in the matrix.

    python benchmarks/dev/bar_gate_probe.py --datasets JapaneseVowels GunPoint BasicMotions \
        --triggers square sine burst --targets first majority minority --rates 0.1 --seeds 0 1 2 \
        --defenses e2abl --device cpu --out robustness_matrix_bar_gate.jsonl

(the arguments are ``benchmarks/robustness_matrix.py``'s; the matrix runs with the probe's rule).
"""

import runpy
import sys
from pathlib import Path

from e2abl_ts import _e2abl

BAR = 4.5


def bar_gated_flags(self, net):
    """The 8-cell split alone, at a bar of at least ``BAR`` until it has named a group (series)."""
    first = self.X.dim() == 3 and not getattr(self, "named_once", False)
    sep = self.cluster_sep
    self.cluster_sep = max(sep, BAR) if first else sep
    try:
        self._flag_cluster(net, self.clustered)
    finally:
        self.cluster_sep = sep
    self.named_once = getattr(self, "named_once", False) or bool(self.clustered.any())
    if self.resplit:
        self._resplit(net)


if __name__ == "__main__":
    _e2abl.E2ABLObjective._flag_clusters = bar_gated_flags
    sys.argv = ["robustness_matrix.py", *sys.argv[1:]]
    runpy.run_path(str(Path(__file__).parents[1] / "robustness_matrix.py"), run_name="__main__")
