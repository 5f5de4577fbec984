"""The runner, its results file, the summary table, the command line and the plots."""

import csv
import json
import re
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest

from e2abl_ts import E2ABLClassifier
from e2abl_ts.__main__ import main
from e2abl_ts.attacks import StaticTriggerAttack
from e2abl_ts.benchmark import KEY, ResultsFile, parse_spec, run_benchmark, summary_table
from e2abl_ts.datasets import load_dataset

DATA = "ItalyPowerDemand"  # ships with aeon: 67 train / 1029 test series of 24 steps
FAST = dict(backbone="fcn", n_epochs=3, verbose=False)


def test_grid_rows_resume_and_table(tmp_path):
    out = tmp_path / "rows.jsonl"
    rows = run_benchmark([DATA], ["square", "none"], ["no_defense", "e2abl"], [0, 1], out=out, **FAST)
    assert len(rows) == 8 and len(out.read_text().splitlines()) == 8
    by = {(r["attack"], r["defense"], r["seed"]): r for r in rows}
    e2abl = by["square", "e2abl", 0]
    assert e2abl["split"] == "67/1029" and e2abl["n_poisoned"] == 7 and e2abl["target_label"] == "1"
    assert 0 <= e2abl["ca"] <= 1 and 0 <= e2abl["asr"] <= 1 and e2abl["isolation_recall"] is not None
    assert by["none", "no_defense", 0]["asr"] is None
    # the target class's own test accuracy, on clean and attacked cells alike
    assert all(0 <= r["target_ca"] <= 1 for r in rows)
    # a re-run skips every finished cell and returns the same rows
    again = run_benchmark([DATA], ["square", "none"], ["no_defense", "e2abl"], [0, 1], out=out, **FAST)
    assert len(out.read_text().splitlines()) == 8
    assert sorted(map(json.dumps, again), key=str) == sorted(map(json.dumps, rows), key=str)
    # one more seed runs only the new cells
    run_benchmark([DATA], ["square"], ["e2abl"], [0, 1, 2], out=out, **FAST)
    assert len(out.read_text().splitlines()) == 9
    table = summary_table(rows)
    assert "no_defense ASR / CA" in table and "±" in table  # two seeds: mean±std
    md = summary_table(rows, fmt="markdown")
    assert md.startswith("| dataset | attack |") and md.count("\n") == 3


def test_clean_model_trains_on_clean_data_and_scores_the_trigger():
    rows = run_benchmark([DATA], ["square", "none"], ["no_defense", "clean_model"], [0], **FAST)
    by = {(r["attack"], r["defense"]): r for r in rows}
    clean = by["square", "clean_model"]
    # the same clean training set and seed as plain training without an attack: the same model
    assert clean["ca"] == by["none", "no_defense"]["ca"]
    assert clean["n_poisoned"] == 0 and clean["asr"] is not None
    assert by["square", "no_defense"]["n_poisoned"] == 7


def test_poison_removed_trains_plainly_without_the_poisoned_rows():
    from e2abl_ts import StandardClassifier
    from e2abl_ts.benchmark import ATTACKS

    rows = run_benchmark([DATA], ["square", "none"], ["no_defense", "poison_removed"], [0], **FAST)
    by = {(r["attack"], r["defense"]): r for r in rows}
    removed = by["square", "poison_removed"]
    assert removed["n_poisoned"] == 7 and removed["asr"] is not None
    # the same model as plain training on the attacked set with its 7 poisoned rows dropped
    X, y, X_test, y_test = load_dataset(DATA)
    attack = ATTACKS["square"](removed["target_label"], 0.1, 0)
    X_p, y_p = attack.fit_resample(X, y)
    kept = np.setdiff1d(np.arange(len(y_p)), attack.poison_indices_)
    plain = StandardClassifier(backbone="fcn", n_epochs=3, random_state=0).fit(X_p[kept], y_p[kept])
    assert removed["ca"] == plain.score(X_test, y_test)
    assert removed["ca"] != by["square", "no_defense"]["ca"] or removed["asr"] != by["square", "no_defense"]["asr"]
    # without an attack there is nothing to drop: plain training on the clean set
    assert by["none", "poison_removed"]["ca"] == by["none", "no_defense"]["ca"]


def test_parallel_cells_give_the_same_rows_as_serial(tmp_path):
    serial = run_benchmark([DATA], ["square"], ["no_defense", "e2abl"], [0], **FAST)
    parallel = run_benchmark([DATA], ["square"], ["no_defense", "e2abl"], [0], n_jobs=2, **FAST)

    def strip(rows):
        return sorted(((r["defense"], r["ca"], r["asr"]) for r in rows), key=str)

    assert strip(serial) == strip(parallel)


def test_older_csv_is_kept_and_widened(tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("data,model,ca\nECG,e2abl,0.9\n")
    with pytest.warns(UserWarning, match="1 row"):
        rows = run_benchmark([DATA], ["square"], ["no_defense"], [0], out=out, **FAST)
    assert len(rows) == 1
    with open(out, newline="") as fh:
        reader = csv.DictReader(fh)
        table = list(reader)
    assert {"data", "model", "dataset", "asr"} <= set(reader.fieldnames)
    assert table[0]["data"] == "ECG" and table[0]["model"] == "e2abl"  # the old row is still there
    assert table[1]["defense"] == "no_defense"
    # read back, typed, and skipped on a re-run
    with warnings.catch_warnings(record=True):
        assert ResultsFile(out).finished() == {tuple(str(rows[0][k]) for k in KEY)}


def test_bad_names_list_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match=r"unknown attack 'badnets'.*square, sine, burst, tt-fgsm"):
        run_benchmark([DATA], ["badnets"], ["e2abl"], [0], **FAST)
    with pytest.raises(ValueError, match=r"unknown defense 'strip'.*no_defense, e2abl"):
        run_benchmark([DATA], ["square"], ["strip"], [0], **FAST)
    with pytest.raises(ValueError, match="key=value"):
        parse_spec("e2abl:isolation_rate", {"e2abl": None}, "defense")
    assert parse_spec("e2abl:isolation_rate=0.1, drop=relative", {"e2abl": None}, "defense") == (
        "e2abl", {"isolation_rate": 0.1, "drop": "relative"})
    with pytest.raises(ValueError, match=r"\.csv, \.jsonl or \.json"):
        run_benchmark([DATA], ["square"], ["e2abl"], [0], out=tmp_path / "rows.txt", **FAST)
    with pytest.raises(ValueError, match="target 'zebra'"):
        run_benchmark([DATA], ["square"], ["e2abl"], [0], target="zebra", **FAST)


def test_a_failing_cell_is_reported_and_the_grid_goes_on(tmp_path):
    out = tmp_path / "rows.jsonl"
    with pytest.warns(UserWarning, match="nothing written"):
        rows = run_benchmark([DATA], ["square"], ["e2abl:isolation_rate=7", "no_defense"], [0], out=out, **FAST)
    assert [r["defense"] for r in rows] == ["no_defense"]


def test_cli_bench_from_config_and_bad_input(tmp_path, capsys):
    config = tmp_path / "grid.toml"
    config.write_text(f'datasets = ["{DATA}"]\nattacks = ["square"]\ndefenses = ["no_defense", "e2abl"]\n'
                      f'backbone = "fcn"\nepochs = 3\nout = "{tmp_path / "rows.csv"}"\n')
    assert main(["bench", "--config", str(config), "--quiet", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| ItalyPowerDemand | square |" in out and (tmp_path / "rows.csv").exists()
    assert main(["bench", "--datasets", DATA, "--attacks", "nope", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown attack 'nope'" in err and "Traceback" not in err
    assert main(["bench", "--datasets", "NoSuchDatasetAnywhere", "--quiet"]) == 2
    assert "Offline, use one that aeon ships" in capsys.readouterr().err
    (tmp_path / "bad.toml").write_text("colour = 'red'\n")
    assert main(["bench", "--config", str(tmp_path / "bad.toml")]) == 2
    assert "unknown option(s)" in capsys.readouterr().err
    assert main(["audit", str(tmp_path / "missing.npz")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_cli_audit_writes_a_report_with_plots(tmp_path, capsys, fmt):
    out_dir = tmp_path / "report"
    assert main(["audit", DATA, "--out-dir", str(out_dir), "--format", fmt, "--backbone", "fcn", "--epochs", "4",
                 "--drill", "square", "--top", "5", "--quiet"]) == 0
    report = (out_dir / f"report.{fmt}").read_text()
    assert "inferred backdoor label" in report and "precision" in report
    # the drill's target, named as the backdoor label (measured: by the tracked split, "label_split")
    # or as the label the hold-back acted on
    named = re.search(r"label: (\*\*|<b>)1(\*\*|</b>) \(", report)
    assert named or "held back samples labelled 1," in report
    assert ("suspects.png" in report) and (out_dir / "suspects.png").stat().st_size > 1000
    assert (out_dir / "loss_drop.png").stat().st_size > 1000
    with open(out_dir / "suspects.csv") as fh:
        assert len(fh.readlines()) == 68  # header + every training row
    assert "samples suspected" in capsys.readouterr().out


def test_eval_sets_record_both_heads_without_changing_the_fit():
    X_train, y_train, X_test, y_test = load_dataset(DATA)
    attack = StaticTriggerAttack(target_label="1", poison_rate=0.1, random_state=0)
    X_p, y_p = attack.fit_resample(X_train, y_train)
    kw = dict(backbone="fcn", n_epochs=4, random_state=0)
    watched = E2ABLClassifier(**kw).fit(X_p, y_p, eval_sets={"clean": (X_test, y_test),
                                                             "attack": attack.make_attack_set(X_test, y_test)})
    plain = E2ABLClassifier(**kw).fit(X_p, y_p)
    np.testing.assert_array_equal(watched.predict_proba(X_test), plain.predict_proba(X_test))
    last = watched.history_[-1]
    assert {"acc_clean", "second_acc_clean", "acc_attack", "second_acc_attack"} <= set(last)
    assert last["acc_clean"] == pytest.approx(watched.score(X_test, y_test), abs=1e-6)
    assert not hasattr(watched, "_monitor")
    with pytest.raises(ValueError, match=r"\(X, y\) pair"):
        E2ABLClassifier(**kw).fit(X_p, y_p, eval_sets={"clean": X_test})


def test_plots_return_figures(tmp_path):
    from e2abl_ts.plotting import plot_loss_drop, plot_rate_sweep, plot_training_curves

    X_train, y_train, X_test, y_test = load_dataset(DATA)
    clf = E2ABLClassifier(backbone="fcn", n_epochs=3, random_state=0).fit(X_train, y_train,
                                                                          eval_sets={"clean": (X_test, y_test)})
    plot_loss_drop(clf, [0, 1, 2]).savefig(tmp_path / "a.png")
    plot_training_curves(clf).savefig(tmp_path / "b.png")
    with pytest.raises(ValueError, match="eval_sets"):
        plot_training_curves(E2ABLClassifier(backbone="fcn", n_epochs=3).fit(X_train, y_train))
    rows = [{"defense": f"e2abl:isolation_rate={r}", "ca": 0.9, "asr": a} for r, a in ((0.1, 0.5), (0.2, 0.1))]
    fig = plot_rate_sweep(rows, "isolation_rate")
    assert list(fig.axes[0].lines[1].get_ydata()) == [50.0, 10.0]
    with pytest.raises(ValueError, match="recovery_rate"):
        plot_rate_sweep(rows, "recovery_rate")


def test_runner_plots_include_the_rate_sweep(tmp_path):
    plots = tmp_path / "plots"
    run_benchmark([DATA], ["square"], ["e2abl:isolation_rate=0.1", "e2abl:isolation_rate=0.3"], [0],
                  plots_dir=plots, **FAST)
    names = sorted(p.name for p in plots.iterdir())
    assert "ItalyPowerDemand_square_isolation_rate.png" in names
    assert sum(n.endswith("_curves.png") for n in names) == 2 and sum(n.endswith("_loss_drop.png") for n in names) == 2


def test_robustness_matrix_summary_reads_the_rows():
    matrix = runpy.run_path(str(Path(__file__).resolve().parent.parent / "benchmarks" / "robustness_matrix.py"))

    def row(attack, defense, seed, ca, asr=None, rate=0.1, target="first", label=None, recall=None, tca=None):
        return dict(dataset="D", attack=attack, defense=defense, seed=seed, poison_rate=rate, target=target,
                    ca=ca, asr=asr, target_label="1", backdoor_label=label, isolation_recall=recall,
                    isolation_precision=0.5 if recall is not None else None, target_ca=tca)

    rows = [row("none", "no_defense", 0, 0.90, tca=0.8), row("none", "e2abl", 0, 0.86, label="1"),
            row("none", "no_defense", 1, 0.80), row("none", "e2abl", 1, 0.80),
            row("square", "no_defense", 0, 0.9, 1.0),
            row("square", "e2abl", 0, 0.88, 0.02, label="1", recall=1.0, tca=0.3),
            row("square", "e2abl", 1, 0.78, 0.30, label="2", recall=0.5),
            row("square", "e2abl", 0, 0.88, 0.60, rate=0.2, label="1", recall=0.9),
            row("square", "clean_model", 1, 0.80, 0.28), row("square", "poison_removed", 1, 0.84, 0.03)]
    text = matrix["matrix_summary"](rows)
    assert "at 10% poison: 30.0 (D, square, first, 10%, seed 1)" in text
    assert "over all cells: 60.0 (D, square, first, 20%, seed 0)" in text
    assert "cells with ASR > 5 at 10%: 1 of 2" in text
    # CA gaps per (dataset, seed): -4, 0, -2, -2, -2 -> mean -2.0
    assert "-2.0 points over 5 fits" in text
    assert "above the clean model's ASR: 0 of 1; the largest excess 2.0 (D, square, first, seed 1)" in text
    assert "mean 75.0, min 50.0" in text
    # the perfect filter ran on seed 1's 10% cell only: 0.78 - 0.84
    assert "a perfect filter (poisoned rows dropped, same cell and seed): -6.0 points over 1 fits" in text
    assert "false alarms on clean data (a backdoor label reported): 1 of 2" in text
    # seed 0's 10% fit holds the trigger (ASR 2) with 30% on the target class against clean training's 80%;
    # the other fits are over 5 or have no clean reference
    assert "target-class accuracy is under half clean training's (same dataset, seed and target label): 1 of 1" in text
    assert ("at 10% poison: 2 fits, mean ASR 16.0, worst 30.0 (D, square, first, 10%, seed 1), ASR > 5 on 1, "
            "more than 5 points above the clean model on 0 of 1, isolation recall mean 75.0 / min 50.0") in text
    assert "at 20% poison: 1 fits, mean ASR 60.0, worst 60.0 (D, square, first, 20%, seed 0), ASR > 5 on 1, " \
           "isolation recall mean 90.0 / min 90.0" in text
    table = matrix["matrix_table"](rows)
    assert ("| D | square | first | 10% | 100.0 / 90.0 | 28.0 | 84.0 | 16.0±14.0 / 83.0±5.0 | 50.0±0.0 / 75.0±25.0 "
            "| 1/2 right |") in table
    assert "| D | none | - | - | - / 85.0±5.0 | - | - | - / 83.0±3.0 | - / - | 1/2 quiet |" in table
    assert "poison_removed ASR" not in table  # a reference, not a defense of its own
