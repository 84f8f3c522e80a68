"""Zero-cost proxies: registry, per-proxy implementations, the fused engine, the ensemble.

    from zcphar.proxies import score, list_proxies, get_proxy, ensemble
    score(model, x, y)              # {"grad_norm": ..., "snip": ..., ...}

See docs/proxies.md and ../shared/docs/PROXIES.md (the normative definitions).
"""

from zcphar.proxies.ensemble import (
    DEFAULT_MEMBERS,
    ensemble,
    ensemble_with_counts,
    percentile_ranks,
)
from zcphar.proxies.registry import ProxyInfo, get_proxy, list_proxies, proxy

__all__ = [
    "DEFAULT_MEMBERS",
    "ProxyInfo",
    "ensemble",
    "ensemble_with_counts",
    "get_proxy",
    "list_proxies",
    "percentile_ranks",
    "proxy",
]
