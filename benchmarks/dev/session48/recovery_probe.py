"""The split recovery variants of ``split_recovery_variants.patch`` over network seeds, with the target class's
accuracy: ``benchmarks/dev/options_probe.py`` with the resolved ``split_recovery`` replaced (the estimator's
own parameter does not take the patch's values).

    python benchmarks/dev/session48/recovery_probe.py hold|unlearn_until:12|unlearn_far:0.5 \\
        --fits FITS --network-offset 0 10 20 30 --run NAME --no-plain --out ROWS.jsonl
"""
import json
import sys

sys.path.insert(0, "benchmarks/dev")
import options_probe

if __name__ == "__main__":
    options_probe.main([json.dumps({"split_recovery": sys.argv[1]})] + sys.argv[2:])
