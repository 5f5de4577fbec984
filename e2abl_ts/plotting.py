"""Plots (matplotlib, the ``plot`` extra): loss-drop histograms, training curves of both heads,
CA/ASR against E2ABL's rates, and suspects beside typical samples of their class.

Every function returns a :class:`matplotlib.figure.Figure` (built without pyplot, so no GUI
backend or global state is touched): ``fig.savefig("x.png")``, or display it in a notebook.
Pass ``ax`` to draw into an axes of your own figure instead.
"""

from __future__ import annotations

import warnings

import numpy as np


def _axes(ax, figsize=(6, 3.5), ncols=1):
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install 'e2abl-ts[plot]'") from exc
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, (fig.subplots(1, ncols) if ncols > 1 else fig.add_subplot())


def plot_loss_drop(scores, poison_indices=None, *, bins=40, ax=None, title=None):
    """Histogram of loss-drop scores; poisoned and clean samples apart when ``poison_indices`` is known.

    ``scores`` is a fitted :class:`~e2abl_ts.E2ABLClassifier` (its ``poison_scores_``, with its
    isolation threshold marked) or an array of scores.
    """
    fig, ax = _axes(ax)
    threshold = None
    if hasattr(scores, "poison_scores_"):
        mask = scores.suspected_poison_mask_
        threshold = scores.poison_scores_[mask].min() if mask.any() else None
        scores = scores.poison_scores_
    scores = np.asarray(scores, dtype=float)
    edges = np.histogram_bin_edges(scores[np.isfinite(scores)], bins=bins)
    if poison_indices is None:
        ax.hist(scores, bins=edges, color="tab:gray")
    else:
        poisoned = np.zeros(len(scores), dtype=bool)
        poisoned[np.asarray(poison_indices, dtype=int)] = True
        ax.hist([scores[~poisoned], scores[poisoned]], bins=edges, stacked=True, color=["tab:blue", "tab:red"],
                label=[f"clean ({(~poisoned).sum()})", f"poisoned ({poisoned.sum()})"])
        ax.legend()
    if threshold is not None:
        ax.axvline(threshold, color="k", ls="--", lw=1, label="isolation threshold")
    ax.set_xlabel("loss-drop score (higher = more suspicious)")
    ax.set_ylabel("samples")
    ax.set_title(title or "Loss-drop scores")
    return fig


def plot_training_curves(history, *, ax=None, title=None):
    """Per-epoch accuracy of both heads on each evaluation set (the paper's Figure 3).

    ``history`` is ``history_`` of an estimator fitted with ``eval_sets`` (e.g. ``{"clean": ...,
    "attack": ...}``): the main head solid, the second head dashed; on the attack set the
    accuracy is the ASR.
    """
    history = getattr(history, "history_", history)
    names = sorted({k[4:] for r in history for k in r if k.startswith("acc_")})
    if not names:
        raise ValueError("history has no accuracies: fit with eval_sets={'clean': (X, y), ...} to record them.")
    fig, ax = _axes(ax)
    epochs = [r["epoch"] for r in history]
    colors = {"clean": "tab:blue", "attack": "tab:red"}
    for i, name in enumerate(names):
        color = colors.get(name, f"C{i + 2}")
        label = "ASR" if name == "attack" else f"CA ({name})" if name != "clean" else "CA"
        ax.plot(epochs, [100 * r.get(f"acc_{name}", np.nan) for r in history], color=color, label=f"main head {label}")
        if any(f"second_acc_{name}" in r for r in history):
            ax.plot(epochs, [100 * r.get(f"second_acc_{name}", np.nan) for r in history], color=color, ls="--",
                    label=f"second head {label}")
    warm = [r["epoch"] for r in history if r.get("phase") == "warmup"]
    if warm:
        ax.axvspan(0.5, max(warm) + 0.5, color="0.9", zorder=0, label="warm start")
    ax.set_xlabel("epoch")
    ax.set_ylabel("%")
    ax.set_ylim(-2, 102)
    ax.legend(fontsize=7)
    ax.set_title(title or "Both heads during training")
    return fig


def plot_rate_sweep(rows, param="isolation_rate", *, ax=None, title=None):
    """CA and ASR (mean over seeds) against an E2ABL parameter (the paper's Figure 2 / Table IV).

    ``rows`` are runner rows whose defense specs set ``param``, e.g. ``"e2abl:isolation_rate=0.1"``.
    """
    from .benchmark import DEFENSES, parse_spec

    points = {}
    for r in rows:
        _, params = parse_spec(r["defense"], DEFENSES, "defense")
        if param in params:
            points.setdefault(float(params[param]), []).append(r)
    if not points:
        raise ValueError(f"no row sets {param!r}: use defense specs such as 'e2abl:{param}=0.1'.")
    xs = sorted(points)
    fig, ax = _axes(ax)
    for key, label, color in (("ca", "CA", "tab:blue"), ("asr", "ASR", "tab:red")):
        ys = [100 * np.mean([r[key] for r in points[x] if r.get(key) is not None] or [np.nan]) for x in xs]
        ax.plot(xs, ys, "o-", color=color, label=label)
    ax.set_xlabel(param)
    ax.set_ylabel("%")
    ax.set_ylim(-2, 102)
    ax.legend()
    ax.set_title(title or f"CA and ASR against {param}")
    return fig


def plot_suspects(X, y, scores, *, order=None, typicality=None, top=6, n_typical=20, channel=0, title=None):
    """The ``top`` highest-scoring samples (or the first of ``order``), each beside typical
    samples of its given class: its members with the highest ``typicality`` (default: the
    lowest scores), e.g. the cleaned model's probability for their label.

    Series: the suspect (red) over the class's ``n_typical`` lowest-scoring members (grey) and
    their median (black), one panel per suspect, channel ``channel``. Images (4D ``X``): the
    suspect above its class's median image.
    """
    from ._validation import check_series

    y = np.asarray(y)
    scores = np.asarray(scores, dtype=float)
    order = (np.argsort(-scores) if order is None else np.asarray(order))[:top]
    images = not isinstance(X, list) and np.ndim(X) == 4
    X = np.asarray(X, dtype=np.float32) if images else check_series(X)
    cols = min(3, len(order))
    rows_ = int(np.ceil(len(order) / cols)) * (2 if images else 1)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4 * cols, 2.6 * rows_), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows_, cols, squeeze=False)).reshape(rows_, cols)
    for k, i in enumerate(order):
        same = np.flatnonzero(y == y[i])
        typical = same[np.argsort(scores[same] if typicality is None else -np.asarray(typicality)[same])[:n_typical]]
        r, c = divmod(k, cols)
        if images:
            ax, ax2 = axes[2 * r, c], axes[2 * r + 1, c]
            _show(ax, X[i])
            _show(ax2, np.median(X[typical], axis=0))
            ax2.set_title(f"median of class {y[i]!s}", fontsize=8)
            for a in (ax, ax2):
                a.set_axis_off()
        else:
            ax = axes[r, c]
            series = X[typical, channel]
            for s in series:
                ax.plot(s, color="0.75", lw=0.6)
            with warnings.catch_warnings():  # unequal lengths: the padded tail is all NaN
                warnings.simplefilter("ignore", RuntimeWarning)
                median = np.nanmedian(series, axis=0)
            ax.plot(median, color="k", lw=1.2, label=f"median of class {y[i]!s}")
            ax.plot(X[i, channel], color="tab:red", lw=1.4, label="suspect")
            ax.legend(fontsize=6)
        ax.set_title(f"row {i}, label {y[i]!s}, score {scores[i]:.2f}", fontsize=8)
    for k in range(len(order), (rows_ // (2 if images else 1)) * cols):
        r, c = divmod(k, cols)
        for a in (axes[2 * r, c], axes[2 * r + 1, c]) if images else (axes[r, c],):
            a.set_axis_off()
    fig.suptitle(title or "Most suspicious samples beside typical members of their class")
    return fig


def _show(ax, x):
    x = np.asarray(x, dtype=float)
    x = (x - x.min()) / (np.ptp(x) or 1.0)
    if x.shape[0] == 1:
        ax.imshow(x[0], cmap="gray")
    else:
        ax.imshow(np.moveaxis(x, 0, -1))
