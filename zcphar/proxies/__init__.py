"""Zero-cost proxies: registry, per-proxy implementations, the fused engine, the ensemble.

    from zcphar.proxies import score, list_proxies, get_proxy, ensemble
    score(model, x, y)              # {"grad_norm": ..., "snip": ..., ...}

See docs/proxies.md and ../shared/docs/PROXIES.md (the normative definitions).
"""

from zcphar.proxies.batch import DEFAULT_BATCH_SIZE, FixedBatch, fixed_batch
from zcphar.proxies.engine import ScoreResult, score, score_detailed
from zcphar.proxies.ensemble import (
    DEFAULT_MEMBERS,
    ensemble,
    ensemble_with_counts,
    percentile_ranks,
)
from zcphar.proxies.pool import score_spec
from zcphar.proxies.registry import ProxyInfo, get_proxy, list_proxies, proxy

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MEMBERS",
    "FixedBatch",
    "ProxyInfo",
    "ScoreResult",
    "ensemble",
    "ensemble_with_counts",
    "fixed_batch",
    "get_proxy",
    "list_proxies",
    "percentile_ranks",
    "proxy",
    "score",
    "score_detailed",
    "score_spec",
]
