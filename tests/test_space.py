"""Specs, ids, JSON round trip, exact sizes, the family registry, archs.jsonl and the CLI."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch
from numpy.random import default_rng as rng
from torch import nn

from zcphar.cli.main import main
from zcphar.errors import ZcpharError
from zcphar.space import (
    ArchSpec,
    CNNSpec,
    Constraints,
    ConvBlock,
    Family,
    LSTMBlock,
    LSTMSpec,
    build,
    count_params,
    get_family,
    list_families,
    read_archs,
    registry,
    sample,
    space_size,
    spec_from_dict,
    write_archs,
)

CNN_EXAMPLE = CNNSpec((ConvBlock(64, 5, 0.3), ConvBlock(128, 3, 0.1)))
LSTM_EXAMPLE = LSTMSpec((LSTMBlock(128, 0.2), LSTMBlock(64, 0.0)))


def test_describe_family_paper_type_and_min_window():
    assert CNN_EXAMPLE.describe() == "cnn[64k5p0.3-128k3p0.1]"
    assert LSTM_EXAMPLE.describe() == "lstm[128p0.2-64]"
    assert (CNN_EXAMPLE.family, CNN_EXAMPLE.paper_type) == ("cnn", "CNN")
    assert (LSTM_EXAMPLE.family, LSTM_EXAMPLE.paper_type) == ("lstm", "RNN")
    assert CNN_EXAMPLE.min_window == 1 + 4 + 2
    assert LSTM_EXAMPLE.min_window == 1


def test_id_is_sha256_of_hand_written_canonical_json():
    canonical = (
        '{"blocks":[{"channels":64,"dropout":0.3,"kernel":5},'
        '{"channels":128,"dropout":0.1,"kernel":3}],"family":"cnn"}'
    )
    assert CNN_EXAMPLE.id == hashlib.sha256(canonical.encode()).hexdigest()[:12]
    canonical = (
        '{"blocks":[{"dropout":0.2,"hidden":128},{"dropout":0.0,"hidden":64}],"family":"lstm"}'
    )
    assert LSTM_EXAMPLE.id == hashlib.sha256(canonical.encode()).hexdigest()[:12]


def test_id_independent_of_number_types_and_order_of_keys():
    same = spec_from_dict(
        {
            "blocks": [
                {"kernel": 5, "dropout": 0.3, "channels": 64},
                {"dropout": 0.1, "channels": 128, "kernel": 3},
            ],
            "family": "cnn",
        }  # noqa: E501
    )
    assert same == CNN_EXAMPLE and same.id == CNN_EXAMPLE.id
    last_int = LSTMSpec((LSTMBlock(128, 0.2), LSTMBlock(64, 0)))
    assert last_int.id == LSTM_EXAMPLE.id


def test_distinct_specs_have_distinct_ids():
    specs = set(sample(500, np.random.default_rng(3)))
    assert len({s.id for s in specs}) == len(specs)


@pytest.mark.parametrize("family", [f.name for f in list_families()])
def test_json_round_trip(family):
    for spec in sample(50, np.random.default_rng(1), ratio={family: 1}):
        text = json.dumps(spec.to_dict())
        back = spec_from_dict(json.loads(text))
        assert back == spec and back.id == spec.id and back.describe() == spec.describe()
        assert json.loads(text)["family"] == family == spec.family
        assert get_family(family).spec_type is type(spec)


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"family": "gru", "blocks": []}, ["'gru'", "cnn", "lstm"]),
        ({"blocks": []}, ["family", "cnn", "lstm"]),
        ({"family": "cnn", "blocks": []}, ["number of blocks 0", "1, 2, 3, 4, 5, 6, 7"]),
        (
            {"family": "cnn", "blocks": [{"channels": 7, "kernel": 3, "dropout": 0.1}]},
            ["7", "8..1024"],
        ),
        (
            {"family": "cnn", "blocks": [{"channels": 8, "kernel": 10, "dropout": 0.1}]},
            ["10", "2, 3"],
        ),
        (
            {"family": "cnn", "blocks": [{"channels": 8, "kernel": 3, "dropout": 0.15}]},
            ["0.15", "0.5"],
        ),
        ({"family": "cnn", "blocks": [{"channels": True, "kernel": 3, "dropout": 0.1}]}, ["True"]),
        ({"family": "cnn", "blocks": [{"channels": 8, "kernel": 3}]}, ["missing ['dropout']"]),
        (
            {"family": "cnn", "blocks": [{"channels": 8, "kernel": 3, "dropout": 0.1, "x": 1}]},
            ["'x'"],
        ),
        ({"family": "lstm", "blocks": [{"hidden": 8, "dropout": 0.0}]}, ["1", "2, 3, 4"]),
        ({"family": "lstm", "blocks": [{"hidden": 8, "dropout": 0.1}] * 2}, ["last block", "0.1"]),
        ({"family": "lstm", "blocks": [{"hidden": 8, "dropout": 0.0}] * 2}, ["before the last"]),
        (
            {
                "family": "lstm",
                "blocks": [{"hidden": 512, "dropout": 0.1}, {"hidden": 8, "dropout": 0}],
            },
            ["512", "8..504"],
        ),  # noqa: E501
    ],
)
def test_bad_specs_name_the_value_and_the_choices(bad, words):
    with pytest.raises(ZcpharError) as err:
        spec_from_dict(bad)
    for word in words:
        assert word in str(err.value)


def test_exact_space_sizes():
    cnn = sum((128 * 8 * 5) ** n for n in range(1, 8))
    lstm = sum((63 * 5) ** (n - 1) * 63 for n in range(2, 5))
    assert space_size() == {"cnn": cnn, "lstm": lstm}
    assert f"{cnn:.3g}" == "9.23e+25" and f"{lstm:.3g}" == "1.98e+09"
    # LSTM with 2 blocks by hand: 63 x 5 first blocks times 63 last blocks.
    assert 315 * 63 == 19845 and lstm == 19845 + 19845 * 315 + 19845 * 315**2


def test_registry_lists_both_families_and_rejects_unknown():
    assert [f.name for f in list_families()] == ["cnn", "lstm"]
    with pytest.raises(ZcpharError, match="'rnn'; choose one of: cnn, lstm"):
        get_family("rnn")


def test_archs_file_round_trip(tmp_path):
    specs = sample(20, np.random.default_rng(0))
    path = tmp_path / "archs.jsonl"
    write_archs(path, specs, in_channels=3, num_classes=6, window=100)
    assert read_archs(path) == specs
    record = json.loads(path.read_text().splitlines()[0])
    assert set(record) == {"id", "family", "spec", "describe", "params", "flops"}
    assert record["id"] == specs[0].id and record["describe"] == specs[0].describe()


def test_archs_file_accepts_bare_specs_and_blank_lines(tmp_path):
    path = tmp_path / "archs.jsonl"
    path.write_text(json.dumps(LSTM_EXAMPLE.to_dict()) + "\n\n" + json.dumps(CNN_EXAMPLE.to_dict()))
    assert read_archs(path) == [LSTM_EXAMPLE, CNN_EXAMPLE]


@pytest.mark.parametrize(
    "line, words",
    [
        ("{not json", ["archs.jsonl:2", "not valid JSON"]),
        (
            '{"family": "cnn", "blocks": [{"channels": 9, "kernel": 2, "dropout": 0.1}]}',
            [":2", "9"],
        ),
        ('{"id": "000000000000", "spec": ' + json.dumps(CNN_EXAMPLE.to_dict()) + "}", [":2", "id"]),
        ("[1, 2]", [":2", "JSON object"]),
    ],
)
def test_bad_archs_lines_name_the_line(tmp_path, line, words):
    path = tmp_path / "archs.jsonl"
    path.write_text(json.dumps(CNN_EXAMPLE.to_dict()) + "\n" + line + "\n")
    with pytest.raises(ZcpharError) as err:
        read_archs(path)
    for word in words:
        assert word in str(err.value)


def test_cli_space_json(capsys):
    assert main(["space", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {k: v["size"] for k, v in out["families"].items()} == space_size()
    assert out["total"] == sum(space_size().values())
    assert main(["space"]) == 0 and "9.23e+25" in capsys.readouterr().out


def test_cli_sample_writes_what_sample_draws(tmp_path, capsys):
    path = tmp_path / "archs.jsonl"
    argv = ["sample", "-n", "7", "--seed", "5", "-o", str(path), "--max-width", "64"]
    assert main(argv + ["--ratio", "cnn=1,lstm=1", "--window", "50"]) == 0
    limits = Constraints(max_width=64)
    expected = sample(7, rng(5), ratio={"cnn": 1, "lstm": 1}, window=50, constraints=limits)
    assert read_archs(path) == expected
    assert main(["sample", "-n", "2", "--seed", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["id"] for x in lines] == [
        s.id for s in sample(2, np.random.default_rng(5))
    ]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--max-layers", "1"], ["lstm", "max_layers 1"]),
        (["--ratio", "cnn=x"], ["cnn=x"]),
        (["--ratio", "gru=1"], ["'gru'", "cnn, lstm"]),
        (["--max-params", "100"], ["smallest", "max_params 100"]),
    ],
)
def test_cli_sample_errors_exit_2(argv, words, capsys):
    assert main(["sample", "-n", "3"] + argv) == 2
    err = capsys.readouterr().err
    for word in words:
        assert word in err


@dataclass(frozen=True)
class MLPSpec(ArchSpec):
    """A toy family for the extension-point test: mean over time -> Linear(C, hidden) -> head."""

    hidden: int
    family: ClassVar[str] = "mlp"
    paper_type: ClassVar[str] = "MLP"
    min_window: ClassVar[int] = 1
    num_layers: ClassVar[int] = 1

    @property
    def max_width(self) -> int:
        return self.hidden

    def to_dict(self) -> dict:
        return {"family": "mlp", "hidden": self.hidden}

    def describe(self) -> str:
        return f"mlp[{self.hidden}]"


class MLP(nn.Module):
    def __init__(self, spec: MLPSpec, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_channels, spec.hidden), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(spec.hidden, num_classes))

    def forward(self, x):
        return self.head(self.body(x.mean(dim=2)))


def mlp_family() -> Family:
    widths = (8, 16, 32)
    return Family(
        name="mlp",
        paper_type="MLP",
        description="toy",
        spec_type=MLPSpec,
        from_dict=lambda d: MLPSpec(d["hidden"]),
        draw=lambda rng, layers, width: MLPSpec(widths[rng.integers(3)]),
        smallest=lambda width, window: [MLPSpec(8)],
        build=MLP,
        count_params=lambda s, c, k: c * s.hidden + s.hidden + s.hidden * k + k,
        count_flops=lambda s, c, t, k: 2 * c * s.hidden + 2 * s.hidden * k,
        size=lambda: len(widths),
        definition=lambda: {"hidden": list(widths)},
    )


def test_a_new_family_is_one_registry_entry(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, "mlp", mlp_family())
    assert [f.name for f in list_families()] == ["cnn", "lstm", "mlp"]
    specs = sample(30, np.random.default_rng(0), ratio={"cnn": 1, "mlp": 1})
    mlps = [s for s in specs if s.family == "mlp"]
    assert mlps and spec_from_dict(mlps[0].to_dict()) == mlps[0]
    model = build(mlps[0], 3, 4, seed=0)
    assert model(torch.zeros(2, 3, 5)).shape == (2, 4)
    assert count_params(mlps[0], 3, 4) == sum(p.numel() for p in model.parameters())
    assert space_size()["mlp"] == 3
