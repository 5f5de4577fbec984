"""The experiment grid: datasets x attacks x defenses x seeds, one row per cell."""

from __future__ import annotations

import os
import platform
import re
import time
import warnings
from functools import lru_cache

import numpy as np
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from ._registry import ATTACKS, CLEAN_TRAINING, DEFENSES, NO_ATTACK, POISON_REMOVED, parse_spec, resolve_target
from ._results import ResultsFile, cell_key


def dataset_name(spec: str) -> str:
    """The name rows carry: an aeon name as given, a file's name without its extension."""
    base = os.path.basename(spec)
    return os.path.splitext(base)[0] if base.endswith((".npz", ".ts")) else spec


@lru_cache(maxsize=8)
def _load(spec: str):
    from ..datasets import load_dataset

    return load_dataset(spec)


def device_name(device="auto") -> str:
    import torch

    from .._trainer import resolve_device

    dev = resolve_device(device)
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    return f"CPU {platform.machine()} ({os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def run_benchmark(datasets, attacks=("square",), defenses=("no_defense", "e2abl"), seeds=(0,), *,
                  backbone="resnet34", n_epochs=60, poison_rate=0.1, target="first", out=None, n_jobs=1,
                  plots_dir=None, device="auto", verbose=True) -> list[dict]:
    """Run every (dataset, attack, defense, seed) cell not already in ``out`` and return the rows.

    Parameters
    ----------
    datasets : list of str
        aeon dataset names or ``.npz`` / ``.ts`` paths (see :func:`e2abl_ts.datasets.load_dataset`).
    attacks : list of str
        Attack specs (names in :data:`ATTACKS`, optionally with parameters, e.g. ``"tt-de:maxiter=10"``),
        or ``"none"``: every defense trained on the clean data (its cost when there is no attack).
    defenses : list of str
        Defense specs (names in :data:`DEFENSES`, e.g. ``"e2abl:isolation_rate=0.1"``).
    seeds : list of int
        Each seed drives the attack's row choice and trigger and the defense's training.
    backbone, n_epochs, device
        Passed to every defense (ABL gets its three phases scaled to ``n_epochs``).
    poison_rate : float
    target : {"first", "majority", "minority"} or a label
    out : path or None
        ``.csv`` or ``.jsonl``: rows are appended as cells finish; cells already there are skipped.
    n_jobs : int
        Cells run in parallel through joblib (``-1``: every core). Under
        ``joblib.parallel_config(backend="dask")`` (or Ray's backend) they run on a cluster.
    plots_dir : path or None
        For each E2ABL cell, save its loss-drop histogram and per-epoch CA/ASR of both heads.
    verbose : bool
        A progress bar over cells and one line per finished row.

    Returns
    -------
    rows : list of dict
        This grid's rows, finished earlier or now (see :data:`e2abl_ts.benchmark.COLUMNS`).
    """
    datasets, attacks, defenses, seeds = (_as_list(v, name) for v, name in (
        (datasets, "datasets"), (attacks, "attacks"), (defenses, "defenses"), (seeds, "seeds")))
    for spec in attacks:
        parse_spec(spec, ATTACKS, "attack", extra=(NO_ATTACK,))
    for spec in defenses:
        parse_spec(spec, DEFENSES, "defense")
    if not 0 < poison_rate < 1:
        raise ValueError(f"poison_rate must be in (0, 1); got {poison_rate}.")
    results = ResultsFile(out)
    data = {spec: _load(spec) for spec in datasets}  # fails early, with the loader's message
    targets = {spec: resolve_target(data[spec][1], target) for spec in datasets}
    common = dict(backbone=backbone, n_epochs=n_epochs, poison_rate=poison_rate, target=str(target), device=device)

    grid = [dict(dataset=dataset_name(d), spec=d, attack=a, defense=f, seed=int(s))
            for d in datasets for a in attacks for f in defenses for s in seeds]
    done = results.finished()
    todo = [c for c in grid if cell_key({**common, **c}) not in done]
    if verbose:
        print(f"{len(grid)} cells, {len(grid) - len(todo)} already in {out}; running {len(todo)} on "
              f"{device_name(device)} with n_jobs={n_jobs}", flush=True)
    threads = _threads_per_job(n_jobs)
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")

    # stage 1: poison each (dataset, attack, seed) once; the defenses of that group share it
    groups = sorted({(c["spec"], c["attack"], c["seed"]) for c in todo if c["attack"] != NO_ATTACK})
    poisoned = {}
    jobs = (delayed(_poison)(data[d], a, s, targets[d], poison_rate, device, threads, (d, a, s)) for d, a, s in groups)
    for key, result in tqdm(parallel(jobs), total=len(groups), desc="poisoning", disable=not verbose or not groups):
        if isinstance(result, Exception):
            warnings.warn(f"attack {key[1]!r} on {key[0]} (seed {key[2]}) failed: {result!r}; its cells are skipped.",
                          stacklevel=2)
        else:
            poisoned[key] = result

    # stage 2: every cell
    cells = [c for c in todo if c["attack"] == NO_ATTACK or (c["spec"], c["attack"], c["seed"]) in poisoned]
    jobs = (delayed(_run_cell)(c, data[c["spec"]], poisoned.get((c["spec"], c["attack"], c["seed"])), targets[c["spec"]],
                               common, threads, plots_dir, False) for c in cells)
    bar = tqdm(parallel(jobs), total=len(cells), desc="cells", disable=not verbose)
    for cell, row in bar:
        if isinstance(row, Exception):
            warnings.warn(f"cell {cell['dataset']} / {cell['attack']} / {cell['defense']} / seed {cell['seed']} "
                          f"failed: {row!r}; nothing written, a re-run tries it again.", stacklevel=2)
            continue
        results.append(row)
        if verbose:
            bar.write(format_row(row))
    wanted = {cell_key({**common, **c}) for c in grid}
    rows = [r for r in results.rows if cell_key(r) in wanted]
    if plots_dir is not None:
        _save_sweep_plots(rows, plots_dir)
    return rows


def _save_sweep_plots(rows, plots_dir):
    """CA/ASR against E2ABL's rates (paper Figure 2) where the grid varies them."""
    from ..plotting import plot_rate_sweep

    for param in ("isolation_rate", "recovery_rate"):
        by = {}
        for r in rows:
            name, params = parse_spec(r["defense"], DEFENSES, "defense")
            if name.startswith("e2abl") and param in params:
                by.setdefault((r["dataset"], r["attack"]), []).append(r)
        for (dataset, attack), rs in by.items():
            if len({parse_spec(r["defense"], DEFENSES, "defense")[1][param] for r in rs}) < 2:
                continue
            os.makedirs(plots_dir, exist_ok=True)
            stem = _file_stem(dataset, attack, param)
            plot_rate_sweep(rs, param, title=f"{dataset}, {attack}: CA and ASR against {param}").savefig(
                os.path.join(plots_dir, stem + ".png"), dpi=110)


def _as_list(value, name):
    values = [value] if isinstance(value, (str, int)) else list(value)
    if not values:
        raise ValueError(f"{name} must not be empty.")
    return values


def _threads_per_job(n_jobs):
    if n_jobs == 1:
        return None
    cores = os.cpu_count() or 1
    workers = cores if n_jobs < 0 else min(n_jobs, cores)
    return max(1, cores // workers)


def _set_threads(threads):
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def _poison(data, attack_spec, seed, target_label, poison_rate, device, threads, key):
    """The poisoned training set and the triggered test set, once per (dataset, attack, seed):
    sample-specific triggers (TT-DE) cost minutes per test set, so no cell recomputes them."""
    _set_threads(threads)
    X_train, y_train, X_test, y_test = data
    name, params = parse_spec(attack_spec, ATTACKS, "attack")
    try:
        attack = ATTACKS[name](target_label, poison_rate, seed, **params)
        if "device" in attack.get_params():
            attack.set_params(device=device)
        t0 = time.perf_counter()
        X_p, y_p = attack.fit_resample(X_train, y_train)
        seconds = time.perf_counter() - t0
        return key, (attack, X_p, y_p, seconds, attack.make_attack_set(X_test, y_test))
    except Exception as exc:  # reported by the caller; the rest of the grid goes on
        return key, exc


def without_rows(X, y, rows):
    """``(X, y)`` without the rows ``rows`` (X an array, or aeon's list of unequal-length series)."""
    kept = np.setdiff1d(np.arange(len(y)), rows)
    return ([X[i] for i in kept] if isinstance(X, list) else X[kept]), y[kept]


def _run_cell(cell, data, poisoned, target_label, common, threads, plots_dir, verbose):
    _set_threads(threads)
    from ..metrics import clean_accuracy, isolation_precision_recall, recovery_precision, target_class_accuracy

    X_train, y_train, X_test, y_test = data
    name, params = parse_spec(cell["defense"], DEFENSES, "defense")
    row = {"dataset": cell["dataset"], "split": f"{len(X_train)}/{len(X_test)}", "attack": cell["attack"],
           "defense": cell["defense"], "seed": cell["seed"], "backbone": common["backbone"],
           "n_epochs": common["n_epochs"], "poison_rate": common["poison_rate"], "target": common["target"],
           "target_label": str(target_label)}
    try:
        clf = DEFENSES[name](dict(backbone=common["backbone"], n_epochs=common["n_epochs"], random_state=cell["seed"],
                                  device=common["device"], verbose=verbose), **params)
        attack, X_fit, y_fit, attack_seconds, attack_set = (
            (None, X_train, y_train, None, None) if poisoned is None else poisoned)
        fit_on_poison = attack is not None and name not in CLEAN_TRAINING
        if not fit_on_poison:
            X_fit, y_fit = X_train, y_train
        poison_idx = attack.poison_indices_ if fit_on_poison else np.array([], dtype=int)
        if fit_on_poison and name in POISON_REMOVED:
            X_fit, y_fit = without_rows(X_fit, y_fit, poison_idx)
        eval_sets = None
        if plots_dir is not None and name.startswith("e2abl"):
            eval_sets = {"clean": (X_test, y_test)}
            if attack is not None:
                eval_sets["attack"] = attack_set
        t0 = time.perf_counter()
        clf.fit(X_fit, y_fit, eval_sets=eval_sets)
        row["fit_seconds"] = round(time.perf_counter() - t0, 2)
        row["ca"] = clean_accuracy(clf, X_test, y_test)
        # ASR: the triggered non-target test rows classified as the target (attack_success_rate)
        row["asr"] = None if attack is None else clean_accuracy(clf, *attack_set)
        # the target class's own test rows: a low ASR from a model that has lost the class is no defense
        row["target_ca"] = target_class_accuracy(clf, X_test, y_test, target_label)
        row["n_poisoned"] = len(poison_idx)  # for poison_removed: the rows it did not train on
        row["attack_seconds"] = None if attack_seconds is None else round(attack_seconds, 2)
        suspected = getattr(clf, "suspected_poison_mask_", None)
        if suspected is not None:
            row["n_suspected"] = int(suspected.sum())
            if attack is not None:
                row["isolation_precision"], row["isolation_recall"] = isolation_precision_recall(suspected, poison_idx)
        if hasattr(clf, "backdoor_label_"):
            row["backdoor_label"] = None if clf.backdoor_label_ is None else str(clf.backdoor_label_)
            row["attack_evidence"] = getattr(clf, "attack_evidence_", None)
            if attack is not None:
                row["recovery_precision"] = recovery_precision(clf.recovered_indices_, clf.recovered_labels_, y_train)
        row["device"] = device_name(common["device"])
        from .. import __version__

        row["version"] = __version__
        if eval_sets is not None:
            _save_cell_plots(clf, poison_idx if attack is not None else None, row, plots_dir)
        return cell, {k: _plain(v) for k, v in row.items()}
    except Exception as exc:  # reported by the caller; the rest of the grid goes on
        return cell, exc


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def _file_stem(*parts) -> str:
    """A file name from ``parts`` joined by "_", with anything unsafe in a file name replaced."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", "_".join(str(p) for p in parts))


def cell_stem(row) -> str:
    return _file_stem(row["dataset"], row["attack"], row["defense"], f"seed{row['seed']}")


def _save_cell_plots(clf, poison_idx, row, plots_dir):
    from ..plotting import plot_loss_drop, plot_training_curves

    os.makedirs(plots_dir, exist_ok=True)
    stem = os.path.join(plots_dir, cell_stem(row))
    plot_loss_drop(clf, poison_idx, title=f"{row['dataset']}, {row['attack']}: loss-drop scores").savefig(
        stem + "_loss_drop.png", dpi=110)
    plot_training_curves(clf.history_, title=f"{row['dataset']}, {row['attack']}, {row['defense']}").savefig(
        stem + "_curves.png", dpi=110)


def format_row(row: dict) -> str:
    def pct(key):
        v = row.get(key)
        return "-" if v is None else f"{100 * v:.1f}"

    return (f"{row['dataset']:>14s} {row['attack']:>8s} {row['defense']:>12s} seed {row['seed']}: "
            f"CA {pct('ca')}  ASR {pct('asr')}  target-class acc {pct('target_ca')}  "
            f"iso P/R {pct('isolation_precision')}/{pct('isolation_recall')}  "
            f"fit {row.get('fit_seconds', 0):.0f} s")
