"""The experiment runner: a grid of datasets x attacks x defenses x seeds, one row per cell.

>>> from e2abl_ts.benchmark import run_benchmark, summary_table
>>> rows = run_benchmark(["JapaneseVowels"], ["square", "tt-fgsm"], ["no_defense", "e2abl"],
...                      seeds=[0, 1, 2], backbone="resnet", n_epochs=30, out="rows.jsonl")  # doctest: +SKIP
>>> print(summary_table(rows))  # doctest: +SKIP

Rows are appended to ``out`` (CSV or JSON lines) as cells finish; a re-run skips finished
cells. Cells run in parallel through joblib (``n_jobs``); on a cluster, wrap the call in
``joblib.parallel_config(backend="dask")`` (or Ray's joblib backend).
"""

from ._registry import ATTACKS, DEFENSES, NO_ATTACK, REFERENCES, parse_spec, resolve_target
from ._results import COLUMNS, KEY, ResultsFile
from ._runner import format_row, run_benchmark
from ._table import percent_text, summary_table, table_cells

__all__ = ["ATTACKS", "COLUMNS", "DEFENSES", "KEY", "NO_ATTACK", "REFERENCES", "ResultsFile", "format_row",
           "parse_spec", "percent_text", "resolve_target", "run_benchmark", "summary_table", "table_cells"]
