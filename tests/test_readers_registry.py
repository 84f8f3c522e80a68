"""Every reader of issue 3 is registered, with the paper flag, options and `locate()` rules:
local ones in ../shared/data, paper ones where `zcphar download` extracts ($ZCPHAR_HOME)."""

from __future__ import annotations

import inspect
import json

import pytest

from zcphar.data import get_dataset, list_datasets
from zcphar.paths import home

PAPER = ["hhar", "mobiact", "motionsense", "myogym", "pamap2", "realworld"]
LOCAL = {"mobifall": "mobifall_v2", "sp_sw_har": "sp_sw_har", "dsads": "dsads"}


def test_all_registered_with_paper_flags():
    names = {info.name: info for info in list_datasets()}
    for name in PAPER:
        assert names[name].paper, name
    for name in LOCAL:
        assert not names[name].paper, name


@pytest.mark.parametrize("name", PAPER + list(LOCAL))
def test_declared_options_are_the_loader_keywords(name):
    info = get_dataset(name)
    keywords = [p for p, v in inspect.signature(info.load).parameters.items()
                if v.kind is inspect.Parameter.KEYWORD_ONLY]
    assert sorted(info.options) == sorted(keywords)


@pytest.mark.parametrize("name", PAPER)
def test_paper_datasets_are_located_where_download_extracts(name):
    info = get_dataset(name)
    folder = home() / "datasets" / name
    assert info.locate() is None  # the test session's empty $ZCPHAR_HOME
    folder.mkdir(parents=True)
    try:
        assert info.locate() is None  # an empty folder is not a dataset
        (folder / "marker").write_text("x")
        assert info.locate() == folder
    finally:
        (folder / "marker").unlink(missing_ok=True)
        folder.rmdir()


def test_missing_data_errors_say_how_to_get_it(tmp_path):
    from zcphar.errors import ZcpharError

    with pytest.raises(ZcpharError, match="zcphar download pamap2"):
        get_dataset("pamap2").load()
    with pytest.raises(ZcpharError, match="registration form"):
        get_dataset("mobiact").load()
    with pytest.raises(ZcpharError, match="does not exist"):
        get_dataset("hhar").load(tmp_path / "nowhere")


def test_datasets_command_lists_them_with_availability(capsys):
    from zcphar.cli.main import main

    assert main(["datasets", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)["datasets"]}
    for name in PAPER:
        assert rows[name]["available"] is False and rows[name]["paper"] is True
    for name, folder in LOCAL.items():
        if rows[name]["available"]:
            assert rows[name]["location"].endswith(folder)
