"""The split recovery variants of ``split_recovery_variants.patch`` over network seeds, with the target class's
accuracy: ``benchmarks/dev/target_class_probe.py`` with the resolved ``split_recovery`` replaced (the estimator's
own parameter does not take the patch's values).

    python benchmarks/dev/session48/recovery_probe.py hold|unlearn_until:12|unlearn_far:0.5 \\
        --fits FITS --network-offset 0 10 20 30 --run NAME --no-plain --out ROWS.jsonl
"""
import sys

sys.path.insert(0, "benchmarks/dev")
import target_class_probe

from e2abl_ts import E2ABLClassifier

recovery = sys.argv[1]
resolved = E2ABLClassifier._resolved_options


def with_recovery(self, backbone, X):
    return dict(resolved(self, backbone, X), split_recovery=recovery)


E2ABLClassifier._resolved_options = with_recovery
target_class_probe.main(sys.argv[2:])
