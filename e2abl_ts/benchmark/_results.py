"""The results file: one row per finished cell, CSV or JSON lines, appended as cells finish."""

from __future__ import annotations

import csv
import json
import math
import os
import warnings

#: every column a row may have, in the order CSV files use
COLUMNS = (
    "dataset", "split", "attack", "defense", "seed", "backbone", "n_epochs", "poison_rate", "target", "target_label",
    "ca", "asr", "isolation_precision", "isolation_recall", "recovery_precision", "backdoor_label", "attack_evidence",
    "n_suspected", "n_poisoned", "fit_seconds", "attack_seconds", "device", "version",
)
#: the columns that identify a cell: a re-run skips rows that match on all of them
KEY = ("dataset", "attack", "defense", "seed", "backbone", "n_epochs", "poison_rate", "target")
_NUMERIC = {"seed": int, "n_epochs": int, "poison_rate": float, "ca": float, "asr": float,
            "isolation_precision": float, "isolation_recall": float, "recovery_precision": float,
            "n_suspected": int, "n_poisoned": int, "fit_seconds": float, "attack_seconds": float}


def cell_key(row: dict) -> tuple:
    return tuple(str(row.get(k)) for k in KEY)


class ResultsFile:
    """Rows in ``path`` (``.csv``, or JSON lines for ``.jsonl`` / ``.json``); None keeps them in memory.

    Opening an existing file reads its rows; rows it cannot use (a line that is not JSON, a
    row from an older run that lacks this run's key columns) are kept in the file, reported
    once, and their cells run again. A CSV whose header differs from :data:`COLUMNS` is
    rewritten (atomically) with the union of both, so that appending never mixes layouts and
    no finished row is lost.
    """

    def __init__(self, path: str | os.PathLike | None):
        self.path = None if path is None else os.fspath(path)
        self.rows: list[dict] = []
        if self.path is None:
            return
        ext = os.path.splitext(self.path)[1].lower()
        if ext not in (".csv", ".jsonl", ".json"):
            raise ValueError(f"results file must end in .csv, .jsonl or .json; got {self.path!r}.")
        self.csv = ext == ".csv"
        self.columns = list(COLUMNS)
        if os.path.exists(self.path) and os.path.getsize(self.path) > 0:
            self._read()

    def _read(self):
        unusable = 0
        if self.csv:
            with open(self.path, newline="") as fh:
                reader = csv.DictReader(fh)
                header = list(reader.fieldnames or [])
                rows = [_typed(r) for r in reader]
            extra = [c for c in header if c not in COLUMNS]
            if header != list(COLUMNS):
                self.columns = list(COLUMNS) + extra
                self._rewrite(rows)
        else:
            rows = []
            with open(self.path) as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        unusable += 1
                        continue
                    if isinstance(row, dict):
                        rows.append(row)
                    else:
                        unusable += 1
        usable = [r for r in rows if all(k in r and r[k] not in ("", None) for k in KEY)]
        unusable += len(rows) - len(usable)
        if unusable:
            warnings.warn(
                f"{self.path}: {unusable} row(s) from another run or layout do not have this run's key columns "
                f"({', '.join(KEY)}); they stay in the file, and their cells run again.",
                stacklevel=3,
            )
        self.rows = usable

    def _rewrite(self, rows):
        tmp = self.path + ".tmp"
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.path)

    def finished(self) -> set:
        return {cell_key(r) for r in self.rows}

    def append(self, row: dict) -> None:
        self.rows.append(row)
        if self.path is None:
            return
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.csv:
            new = not os.path.exists(self.path) or os.path.getsize(self.path) == 0
            with open(self.path, "a", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=self.columns, extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
        else:
            with open(self.path, "a") as fh:
                fh.write(json.dumps(row) + "\n")


def _typed(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if v in ("", None):
            out[k] = None
        elif k in _NUMERIC:
            try:
                out[k] = _NUMERIC[k](float(v)) if _NUMERIC[k] is int else float(v)
            except ValueError:
                out[k] = v
        else:
            out[k] = v
    return out


def finite(v) -> bool:
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))
