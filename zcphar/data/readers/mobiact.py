"""MobiAct v2.0 and MobiFall v2.0: a Samsung Galaxy S3 in a trouser pocket (BMI Lab, Crete).

Reproduces the MGT ``mobiactv2`` setup: accelerometer x, y, z (m/s², with gravity), the 11 ADL
classes STD 0, WAL 1, JOG 2, JUM 3, STU 4, STN 5, SCH 6, SIT 7, CHU 8, CSI 9, CSO 10; falls, LYI
and scenarios excluded; integer subject ids. Two file formats are read:

* annotated CSVs ``<CODE>_<subject>_<trial>_annotated.csv`` (the reference's input): per-row
  labels, declared 200 Hz as the reference assumes (so paper mode keeps every 4th row); rows
  labelled LYI are deleted inside the file before anything else, as the reference does.
* raw files ``<CODE>_acc_<subject>_<trial>.txt`` (``#`` header, ``@DATA``, then
  ``timestamp_ns, x, y, z``): one label per file, taken from the file name (never the folder:
  MobiFall's ``sub21/FALLS/FOL/`` holds SDL files). Sampling is irregular, so the recordings carry
  timestamps and `irregular=True`; the nominal rate is the median interval over the files read.

``mobifall`` is the raw reader on MobiFall v2.0 (9 ADL subjects; SIT, CHU and LYI do not exist,
so the classes are the MobiAct order with absent codes skipped: 9 classes). Deliberate
differences from the reference: files are read in (code, subject, trial) order instead of the
filesystem's directory-listing order; the annotated rate is the reference's 200 Hz assumption
(unverified), recorded in ``meta``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zcphar.data.readers._common import (
    acc_names,
    choose,
    downloaded_dir,
    encode,
    local_dir,
    resolve_dir,
)
from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

ADL = ("STD", "WAL", "JOG", "JUM", "STU", "STN", "SCH", "SIT", "CHU", "CSI", "CSO")
FALLS = ("FOL", "FKL", "BSC", "SDL")
OTHER = ("LYI", "SLH", "SBW", "SLW", "SBE", "SRH")
CODES = ADL + FALLS + OTHER
ANNOTATED_RATE_HZ = 200.0
RAW_NAME = re.compile(r"^([A-Z]{3})_acc_(\d+)_(\d+)\.txt$")
ANNOTATED_NAME = re.compile(r"^([A-Z]{3})_(\d+)_(\d+)_annotated\.csv$")
HOW_TO_GET = (
    "MobiAct needs a registration form: https://bmi.hmu.gr/the-mobifall-and-mobiact-datasets-2/ "
    "then run `zcphar download mobiact --from <archive or folder>`"
)
OPTIONS = {
    "classes": "activity codes to keep, in id order (default: the ADL codes)",
    "falls": "also keep the four fall classes FOL, FKL, BSC, SDL (appended)",
    "source": "'auto' (annotated CSVs if present, else raw files), 'annotated' or 'raw'",
}


def _data_start(path: Path) -> int:
    """Number of lines up to and including ``@DATA`` (the header length varies)."""
    with open(path, encoding="latin-1") as f:
        for number, line in enumerate(f, start=1):
            if line.strip() == "@DATA":
                return number
    raise ZcpharError(f"{path}: no '@DATA' line; not a MobiAct/MobiFall raw file")


def read_raw_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One raw MobiAct/MobiFall sensor file → (timestamps in s, (T, 3) samples in m/s²)."""
    table = pd.read_csv(path, skiprows=_data_start(path), header=None, sep=",",
                        skipinitialspace=True, encoding="latin-1").to_numpy(dtype=np.float64)
    return table[:, 0] * 1e-9, table[:, 1:4]  # (T,), (T, 3)


def _class_codes(classes: Sequence[str] | None, falls: bool) -> list[str]:
    codes = choose("activity code", classes, CODES) if classes is not None else list(ADL)
    if falls:
        codes += [c for c in FALLS if c not in codes]
    return codes


def _list_files(root: Path, pattern: re.Pattern, codes: list[str]) -> list[tuple]:
    """(code, subject, trial, path) of matching files, in (class order, subject, trial) order."""
    found = []
    for path in root.rglob("*"):
        match = pattern.match(path.name)
        if match and match.group(1) in codes and "__MACOSX" not in path.parts:
            found.append((match.group(1), int(match.group(2)), int(match.group(3)), path))
    return sorted(found, key=lambda f: (codes.index(f[0]), f[1], f[2]))


def read_raw(root: Path, codes: list[str]) -> tuple[list[Recording], float]:
    """Raw ``<CODE>_acc_<subject>_<trial>.txt`` files → recordings and the nominal rate (Hz)."""
    recordings, intervals = [], []
    for code, subject, trial, path in _list_files(root, RAW_NAME, codes):
        times, data = read_raw_file(path)
        labels = np.full(len(times), codes.index(code), dtype=np.int64)
        recordings.append(Recording(subject, f"{code}_{trial}", data, labels, times))
        intervals.append(np.diff(times))
    if not recordings:
        return [], 0.0
    median_dt = float(np.median(np.concatenate(intervals)))
    return recordings, float(round(1.0 / median_dt))


def read_annotated(root: Path, codes: list[str]) -> list[Recording]:
    """Annotated ``<CODE>_<subject>_<trial>_annotated.csv`` files → per-row-labelled recordings."""
    recordings = []
    for code, subject, trial, path in _list_files(root, ANNOTATED_NAME, codes):
        frame = pd.read_csv(path, usecols=["timestamp", "acc_x", "acc_y", "acc_z", "label"])
        frame = frame[frame["label"] != "LYI"]  # the reference deletes lying rows in place
        data = frame[["acc_x", "acc_y", "acc_z"]].to_numpy(dtype=np.float64)
        labels = encode(frame["label"].to_numpy(), codes)
        times = frame["timestamp"].to_numpy(dtype=np.float64) * 1e-9
        recordings.append(Recording(subject, f"{code}_{trial}", data, labels, times))
    return recordings


def load_mobi(name: str, root: Path, classes, falls: bool, source: str) -> RawDataset:
    """Read either format below `root` (shared by ``mobiact`` and ``mobifall``)."""
    codes = _class_codes(classes, falls)
    source = choose("source", [source], ("auto", "annotated", "raw"))[0]
    recordings, rate, irregular, used = [], ANNOTATED_RATE_HZ, False, "annotated"
    if source in ("auto", "annotated"):
        recordings = read_annotated(root, codes)
    if not recordings and source in ("auto", "raw"):
        recordings, rate = read_raw(root, codes)
        irregular, used = True, "raw"
    if not recordings:
        raise ZcpharError(f"{name}: no {source} MobiAct/MobiFall files for {codes} under {root}")
    if name == "mobifall" and classes is None:  # MobiAct order with absent codes skipped
        present = {r.session.split("_")[0] for r in recordings}
        codes = [c for c in codes if c in present]
        for rec in recordings:
            rec.labels[:] = codes.index(rec.session.split("_")[0])
    return RawDataset(
        name=name, recordings=recordings, channels=acc_names(), classes=codes, rate_hz=rate,
        irregular=irregular,
        meta={"source": str(root), "format": used, "units": {"acc": "m/s^2 incl. gravity"},
              "rate_note": "annotated: 200 Hz assumed as the reference does (unverified); "
                           "raw: 1 / median interval of the files read",
              "license": "research use after registration (BMI Lab)",
              "citation": "Vavoulas et al., ICT4AWE 2016; Vavoulas et al., IJMSTR 2(1), 2014"},
    )


@register_dataset(
    "mobiact", "MobiAct v2.0 phone in pocket, 11 ADL classes, acc (registration form; paper)",
    locate=lambda: downloaded_dir("mobiact"), paper=True, version="1", options=OPTIONS,
)
def load_mobiact(data_dir: Path | None = None, *, classes: Sequence[str] | None = None,
                 falls: bool = False, source: str = "auto") -> RawDataset:
    """Read MobiAct v2.0 (annotated CSVs, or raw files when those are all there is).

    Args:
        data_dir: extracted dataset folder (default: where `zcphar download` put it).
        classes: activity codes to keep, in id order (default: the 11 ADL codes).
        falls: append the four fall classes.
        source: ``auto``, ``annotated`` or ``raw``.
    """
    root = resolve_dir("mobiact", data_dir, downloaded_dir("mobiact"), HOW_TO_GET)
    return load_mobi("mobiact", root, classes, falls, source)


@register_dataset(
    "mobifall", "MobiFall v2.0 raw phone acc, 9 ADL classes (+ falls option), ~94 Hz (local)",
    locate=lambda: local_dir("mobifall_v2") or downloaded_dir("mobifall"), version="1",
    options={k: v for k, v in OPTIONS.items() if k != "source"},
)
def load_mobifall(data_dir: Path | None = None, *, classes: Sequence[str] | None = None,
                  falls: bool = False) -> RawDataset:
    """Read MobiFall v2.0 raw accelerometer files with the MobiAct raw-file reader.

    Args:
        data_dir: dataset folder (default: ``../shared/data/mobifall_v2``).
        classes: activity codes to keep, in id order (default: ADL codes present in the data).
        falls: append the four fall classes FOL, FKL, BSC, SDL.
    """
    found = local_dir("mobifall_v2") or downloaded_dir("mobifall")
    root = resolve_dir("mobifall", data_dir, found, HOW_TO_GET.replace("mobiact --", "mobifall --"))
    return load_mobi("mobifall", root, classes, falls, "raw")
