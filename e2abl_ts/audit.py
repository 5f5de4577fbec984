"""Audit a training set: fit E2ABL on it and report the most suspicious samples."""

from __future__ import annotations

import csv
import html
import os

import numpy as np


def audit(X, y, *, estimator=None, out_dir="e2abl_audit", fmt="md", top=20, poison_indices=None,
          dataset_name="training set"):
    """Fit E2ABL on ``(X, y)`` and write a report of what looks poisoned to ``out_dir``.

    Writes ``report.md`` (or ``report.html``), ``suspects.csv`` (every row: score, suspected,
    relabelled), ``loss_drop.png`` (the score distribution) and ``suspects.png`` (the ``top``
    suspects beside typical samples of their class; the plots need matplotlib).

    Parameters
    ----------
    X, y : the training set (series in aeon's layout, or images with the image estimator)
    estimator : unfitted E2ABL estimator or None
        None: ``E2ABLClassifier(backbone="resnet", n_epochs=30)``. It is cloned, never changed.
    out_dir : path
    fmt : {"md", "html"}
    top : int
        Suspects listed and plotted.
    poison_indices : array of int or None
        The truly poisoned rows when known (a drill): the report gives precision and recall.
    dataset_name : str

    Returns
    -------
    report_path : str
    fitted : the fitted estimator (its ``poison_scores_``, ``suspected_poison_mask_``, ...)
    """
    from sklearn.base import clone

    from .classifier import E2ABLClassifier, E2ABLMixin
    from .metrics import isolation_precision_recall

    if fmt not in ("md", "html"):
        raise ValueError(f"fmt must be 'md' or 'html'; got {fmt!r}.")
    if not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer; got {top!r}.")
    if estimator is not None and not isinstance(estimator, E2ABLMixin):
        raise TypeError(f"estimator must be an E2ABL estimator (it scores every sample); got {type(estimator).__name__}.")
    est = clone(estimator) if estimator is not None else E2ABLClassifier(backbone="resnet", n_epochs=30)
    est.fit(X, y)
    os.makedirs(out_dir, exist_ok=True)
    y = np.asarray(y)
    scores = est.poison_scores_
    suspected = est.suspected_poison_mask_
    relabelled = dict(zip(est.recovered_indices_.tolist(), est.recovered_labels_.tolist()))
    # split_recovery="unlearn": trained away from their label, towards no named class
    unlearned = est.unlearned_indices_.tolist()
    relabelled.update({i: f"not {y[i]!s}" for i in unlearned})
    flagged = est.mislabel_mask_
    # the cleaned model's view of each row: a poisoned row keeps its true class's look, so the
    # final model (trained without it) gives its (backdoor) label a low probability
    proba = est.predict_proba(X)
    p_label = proba[np.arange(len(y)), np.searchsorted(est.classes_, y)]
    says = est.classes_[proba.argmax(axis=1)]
    # suspects first; among them, those the cleaned model disagrees with most; then by loss drop
    order = np.lexsort((-scores, p_label, ~suspected))
    poisoned = np.zeros(len(y), dtype=bool)
    if poison_indices is not None:
        poisoned[np.asarray(poison_indices, dtype=int)] = True
    with open(os.path.join(out_dir, "suspects.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["rank", "row", "label", "suspected", "p_label", "model_says", "loss_drop", "mislabelled_looking",
                    "relabelled_to"] + (["poisoned"] if poison_indices is not None else []))
        for rank, i in enumerate(order, 1):
            w.writerow([rank, int(i), y[i], bool(suspected[i]), f"{p_label[i]:.4g}", says[i], f"{scores[i]:.6g}",
                        bool(flagged[i]), relabelled.get(int(i), "")]
                       + ([bool(poisoned[i])] if poison_indices is not None else []))

    plots = []
    try:
        from .plotting import plot_loss_drop, plot_suspects

        plot_loss_drop(est, poison_indices, title=f"{dataset_name}: loss-drop scores").savefig(
            os.path.join(out_dir, "loss_drop.png"), dpi=110)
        plot_suspects(X, y, scores, order=order, typicality=p_label, top=min(top, 9), title=f"{dataset_name}: top suspects").savefig(
            os.path.join(out_dir, "suspects.png"), dpi=110)
        plots = [("Loss-drop scores", "loss_drop.png"), ("Top suspects beside typical samples of their class",
                                                          "suspects.png")]
    except ImportError:
        pass

    label = est.backdoor_label_
    acted, evidence = getattr(est, "suspected_label_", None), getattr(est, "attack_evidence_", None)
    why = {"warm_start": "the fastest-learned samples of the warm start, before any was held back, mostly carry it",
           "inflated_label": "most of its samples look like other classes' series",
           "label_split": "its samples split in two in the network's features, one side gathered from other classes",
           "late_alarm": "the fastest-learned samples of later epochs kept carrying it",
           "isolated_rows": "the isolated samples mostly carry it (the paper's inference)"}
    labels, counts = np.unique(y[suspected], return_counts=True)
    lines = [f"# E2ABL audit: {dataset_name}", "",
             f"- training samples: {len(y)}; classes: {len(est.classes_)}",
             f"- estimator: `{est!r}`",
             f"- inferred backdoor label: **{label!s}** ({why.get(evidence, evidence)}; false alarms happen, so "
             "check the suspects below before calling it an attack)"
             if label is not None else
             "- inferred backdoor label: **none** (no attack evident" + (
                 f"; as a precaution the defense held back samples labelled {acted!s}, the label its own "
                 "hold-back settled on)" if acted is not None else ")"),
             f"- suspected (isolated) samples: {int(suspected.sum())} "
             f"({', '.join(f'{n} labelled {lab!s}' for lab, n in zip(labels, counts))})",
             f"- of them, isolated for good as mislabelled-looking (their label fits them far worse than the rest "
             f"of the label): {int(flagged.sum())}",
             f"- relabelled in the last epoch: {len(relabelled) - len(unlearned)}"
             + (f"; trained away from their label (unlearned): {len(unlearned)}" if unlearned else "")]
    if poison_indices is not None:
        p, r = isolation_precision_recall(suspected, poison_indices)
        lines.append(f"- against the known poisoned rows ({len(poison_indices)}): precision {p:.0%}, recall {r:.0%}")
    lines += ["", f"## The {min(top, len(y))} most suspicious samples", "",
              "Suspects first; among them, those the cleaned model disagrees with most (the lowest probability "
              "for their own label: a poisoned row still looks like its true class); then by loss drop.", "",
              "| rank | row | label | suspected | p(label) | model says | loss drop | mislabelled-looking "
              "| relabelled to |" + (" poisoned (drill) |" if poison_indices is not None else ""),
              "|---:|---:|---|---|---:|---|---:|---|---|" + ("---|" if poison_indices is not None else "")]
    yes = {True: "yes", False: "no"}
    for rank, i in enumerate(order[:top], 1):
        lines.append(f"| {rank} | {i} | {y[i]!s} | {yes[bool(suspected[i])]} | {p_label[i]:.3f} | {says[i]!s} | "
                     f"{scores[i]:.3f} | {yes[bool(flagged[i])]} | {relabelled.get(int(i), '')} |"
                     + (f" {yes[bool(poisoned[i])]} |" if poison_indices is not None else ""))
    if poison_indices is not None:
        k = len(poison_indices)
        lines += ["", f"Drill: {int(poisoned[order[:k]].sum())} of the top {k} rows of this ranking are poisoned."]
    lines += ["", "Every row is in `suspects.csv`. The loss drop is the second head's (higher = learned "
              "faster = more likely to carry a trigger)."]
    for caption, png in plots:
        lines += ["", f"## {caption}", "", f"![{caption}]({png})"]
    text = "\n".join(lines) + "\n"
    path = os.path.join(out_dir, "report." + fmt)
    with open(path, "w") as fh:
        fh.write(_markdown_to_html(text, dataset_name) if fmt == "html" else text)
    return path, est


def _markdown_to_html(text: str, title: str) -> str:
    """The report's small markdown subset (headings, bullets, one table, images) as HTML."""
    import re

    def inline(s):
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    out, in_list, in_table = [], False, False
    for line in text.splitlines():
        if in_list and not line.startswith("- "):
            out.append("</ul>")
            in_list = False
        if in_table and not line.startswith("|"):
            out.append("</table>")
            in_table = False
        if line.startswith("# "):
            out.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.startswith("## "):
            out.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(set(c) <= set("-:") for c in cells):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                out.append('<table border="1" cellpadding="3" style="border-collapse:collapse">')
                in_table = True
            out.append("<tr>" + "".join(f"<{tag}>{inline(c)}</{tag}>" for c in cells) + "</tr>")
        elif m := re.match(r"!\[(.*)\]\((.*)\)", line):
            out.append(f'<img src="{html.escape(m.group(2))}" alt="{html.escape(m.group(1))}" style="max-width:100%">')
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    if in_list:
        out.append("</ul>")
    if in_table:
        out.append("</table>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>E2ABL audit: {html.escape(title)}</title>"
            "</head><body style='font-family:sans-serif;max-width:60em'>" + "\n".join(out) + "</body></html>\n")
