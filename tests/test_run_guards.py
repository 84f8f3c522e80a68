"""A run directory holds one dataset, and rankings can be restricted to a study's candidates."""

import pytest

from zcphar.errors import ZcpharError
from zcphar.space import CNNSpec, ConvBlock
from zcphar.store import RunStore


def test_a_run_refuses_a_second_dataset(tmp_path):
    with RunStore(tmp_path / "r") as store:
        store.record_config("run", {"data": {"dataset": "watch"}})
        store.record_config("train", {"data": {"dataset": "watch"}})  # same data: fine
        with pytest.raises(ZcpharError, match="holds data.*watch.*another run directory"):
            store.record_config("train", {"data": {"dataset": "dsads"}})
        assert store.config()["train"]["data"] == {"dataset": "watch"}


def test_top_k_ranks_only_the_given_ids(tmp_path):
    specs = [CNNSpec((ConvBlock(8 * (i + 1), 3, 0.1),)) for i in range(4)]
    with RunStore(tmp_path / "r") as store:
        store.add_architectures(specs, in_channels=3, num_classes=2, window=20)
        store.add_scores([{"arch_id": s.id, "proxy": "snip", "value": float(i), "error": None,
                           "coverage": "extended", "dropout": "off", "batch_size": 8,
                           "batch_hash": "h", "seconds": 0.0} for i, s in enumerate(specs)])
        assert store.top_k(1, "snip") == [specs[3].id]
        assert store.top_k(2, "snip", ids=[specs[0].id, specs[1].id]) == [specs[1].id,
                                                                            specs[0].id]


def test_diverged_training_is_an_error_not_a_result():
    import numpy as np

    from zcphar.data.types import PreparedDataset, Split
    from zcphar.train import TrainConfig, train

    rng = np.random.default_rng(0)

    def split(n):
        return Split(rng.normal(size=(n, 3, 20)).astype(np.float32),
                     np.arange(n) % 2, np.zeros(n, dtype=int))

    data = PreparedDataset(split(16), split(8), split(8), {"classes": ["a", "b"]})
    data.train.X[0, 0, 0] = np.inf  # the loss becomes NaN in the first epoch
    with pytest.raises(FloatingPointError, match="training loss is nan at epoch 1"):
        train(CNNSpec((ConvBlock(8, 3, 0.1),)), data, TrainConfig(epochs=2, batch_size=8))


def test_sample_into_keeps_each_spec_once(tmp_path):
    from zcphar.data import prepare
    from zcphar.space import Constraints
    from zcphar.study.steps import sample_into

    data = prepare("synthetic")
    with RunStore(tmp_path / "r") as store:
        # 1-block CNNs of width 8: 8 kernels x 5 dropouts = 40 specs, so 60 draws repeat some
        specs = sample_into(store, data, n=60, seed=0, ratio={"cnn": 1.0},
                            constraints=Constraints(max_width=8, max_layers=1))
        ids = [s.id for s in specs]
        assert len(ids) == len(set(ids)) < 60
        assert len(store.architectures()) == len(ids)
