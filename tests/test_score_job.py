"""Score jobs with dropout on are reproducible for a seed and leave the caller's RNG alone."""

import numpy as np
import torch

from zcphar.execute.jobs import data_ref, score_job
from zcphar.space import sample


def _job(dropout: str) -> dict:
    spec = sample(1, np.random.default_rng(0), in_channels=3, num_classes=3)[0]
    return {"kind": "score", "data": data_ref("synthetic"), "spec": spec.to_dict(),
            "proxies": ["snip", "grad_norm"], "coverage": "reference", "dropout": dropout,
            "batch_size": 32, "seed": 3}


def _values(job):
    return [row["value"] for row in score_job(job)["rows"]]


def test_dropout_on_is_seeded_and_leaves_global_rng_alone():
    job = _job("on")
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = _values(job)
    assert torch.equal(torch.rand(3), expected_next)  # global generator untouched
    assert _values(job) == first
    # dropout is really active: with it off the (deterministic) scores differ
    assert _values(_job("off")) != first
