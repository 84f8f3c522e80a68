"""Evaluating zero-cost proxies against trained results: the paper's metrics and baselines.

    from zcphar.evaluate import read_tables, evaluate_table
    tables = read_tables(["../shared/data/paper_artifacts/pamap2.csv"])
    result = evaluate_table(tables["pamap2"], "pamap2", seed=0, pool="all")
    result.pooled.metrics.loc["ensemble", ["delta1", "delta10", "talent"]]

Ground truth is the validation F1; gaps (Δk) are reported on test F1 in percentage points;
the talent rate and Δ10% use k = round(0.1·N); ties are broken by ``model_id`` (see
`zcphar.evaluate.ranking`); NaN scores are left out and counted (``n_nan``). Definitions are in
`zcphar.evaluate.metrics` and `zcphar.evaluate.baseline`; docs/evaluation.md has the details.
"""

from zcphar.evaluate.baseline import N_DRAWS, curve_counts, random_search, search_curve
from zcphar.evaluate.metrics import RankedPool, delta_k, rank_correlation, talent_rate
from zcphar.evaluate.pools import (
    clean_pool,
    family_of,
    pool_names,
    read_tables,
    select_pool,
    with_ensemble,
)
from zcphar.evaluate.ranking import (
    PAPER_PROXIES,
    ZC_PROXIES,
    higher_is_better,
    noise_columns,
    order_by,
    oriented,
    proxy_columns,
    resolve_k,
)
from zcphar.evaluate.summary import (
    METRIC_COLUMNS,
    PoolResult,
    TableResult,
    evaluate_pool,
    evaluate_table,
    evaluate_tables,
    to_json,
)

__all__ = [
    "METRIC_COLUMNS",
    "N_DRAWS",
    "PAPER_PROXIES",
    "PoolResult",
    "RankedPool",
    "TableResult",
    "ZC_PROXIES",
    "clean_pool",
    "curve_counts",
    "delta_k",
    "evaluate_pool",
    "evaluate_table",
    "evaluate_tables",
    "family_of",
    "higher_is_better",
    "noise_columns",
    "order_by",
    "oriented",
    "pool_names",
    "proxy_columns",
    "random_search",
    "rank_correlation",
    "read_tables",
    "resolve_k",
    "search_curve",
    "select_pool",
    "talent_rate",
    "to_json",
    "with_ensemble",
]
