"""The paper's Table I layout: per dataset and attack, ASR / CA of each defense, then averages."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ._results import finite


def _mean_std(values):
    values = [100 * v for v in values if finite(v)]
    if not values:
        return None
    return float(np.mean(values)), float(np.std(values)), len(values)


def table_cells(rows) -> tuple[list, list, dict]:
    """``(row_labels, defenses, cells)``: ``cells[(dataset, attack), defense] = (asr, ca)``,
    each ``(mean, std, n)`` in % or None; ``attack == "Average"`` rows average the attacks."""
    by = defaultdict(list)
    for r in rows:
        by[(r["dataset"], r["attack"]), r["defense"]].append(r)
    defenses = list(dict.fromkeys(r["defense"] for r in rows))
    labels = list(dict.fromkeys(key for key, _ in by))
    cells = {}
    for (label, defense), rs in by.items():
        cells[label, defense] = (_mean_std([r.get("asr") for r in rs]), _mean_std([r.get("ca") for r in rs]))
    # per dataset, the average over attacks (per seed first, so the std is over seeds)
    for dataset in dict.fromkeys(d for d, _ in labels):
        attacked = [lab for lab in labels if lab[0] == dataset and lab[1] != "none"]
        if len(attacked) < 2:
            continue
        labels.append((dataset, "Average"))
        for defense in defenses:
            per_seed = defaultdict(lambda: ([], []))
            for lab in attacked:
                for r in by.get((lab, defense), []):
                    per_seed[r["seed"]][0].append(r.get("asr"))
                    per_seed[r["seed"]][1].append(r.get("ca"))
            complete = [v for v in per_seed.values() if len(v[0]) == len(attacked)]
            if complete:
                cells[(dataset, "Average"), defense] = (
                    _mean_std([np.mean([a for a in asr if finite(a)]) if any(finite(a) for a in asr) else None
                               for asr, _ in complete]),
                    _mean_std([np.mean(ca) for _, ca in complete]),
                )
    return labels, defenses, cells


def percent_text(values) -> str:
    """``values`` (fractions; None and NaN skipped) as "mean" or "mean±std" in %, or "-"."""
    return _fmt(_mean_std(values))


def _fmt(stat):
    if stat is None:
        return "-"
    mean, std, n = stat
    return f"{mean:.1f}" if n == 1 else f"{mean:.1f}±{std:.1f}"


def summary_table(rows, fmt: str = "text") -> str:
    """Table I: one line per (dataset, attack), one ``ASR / CA`` column per defense, in %.

    Values are mean±std over seeds (the mean alone for one seed); ``-`` where a cell has no
    value (no ASR without an attack). ``fmt`` is ``"text"`` or ``"markdown"``.
    """
    if fmt not in ("text", "markdown"):
        raise ValueError(f"fmt must be 'text' or 'markdown'; got {fmt!r}.")
    rows = list(rows)
    if not rows:
        return "(no rows)"
    labels, defenses, cells = table_cells(rows)
    header = ["dataset", "attack", *[f"{d} ASR / CA" for d in defenses]]
    body = []
    for label in labels:
        line = [label[0], label[1]]
        for d in defenses:
            asr, ca = cells.get((label, d), (None, None))
            line.append("" if asr is None and ca is None else f"{_fmt(asr)} / {_fmt(ca)}")
        body.append(line)
    if fmt == "markdown":
        out = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * len(defenses)) + "|"]
        out += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(out)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    lines = ["  ".join(str(x).rjust(w) if i > 1 else str(x).ljust(w) for i, (x, w) in enumerate(zip(r, widths)))
             for r in [header, *body]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])
