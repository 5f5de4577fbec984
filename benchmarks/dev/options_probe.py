"""``target_class_probe.py`` with options the estimator resolves replaced (E2ABLObjective's keyword arguments,
including ones a patch adds and the estimator does not take).

    OMP_NUM_THREADS=1 python benchmarks/dev/options_probe.py '{"split_recovery": "hold"}' \\
        --fits FITS --network-offset 0 10 20 30 --run NAME --no-plain --out ROWS.jsonl

The first argument is a JSON object of options; the rest goes to ``target_class_probe.main``. The rows carry the
options in an ``options`` field.
"""
import contextlib
import json
import sys

import target_class_probe

from e2abl_ts import E2ABLClassifier


@contextlib.contextmanager
def replaced_options(options: dict):
    """Within the block, every E2ABLClassifier fit resolves its objective's options with ``options`` on top."""
    resolved = E2ABLClassifier._resolved_options

    def replaced(self, backbone, X):
        return dict(resolved(self, backbone, X), **options)

    E2ABLClassifier._resolved_options = replaced
    try:
        yield
    finally:
        E2ABLClassifier._resolved_options = resolved


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    options = json.loads(argv[0])
    with replaced_options(options):
        target_class_probe.main(argv[1:], extra=dict(options=options))


if __name__ == "__main__":
    main()
