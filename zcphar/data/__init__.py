"""Data: readers → recordings → resample → split → normalise → windows, with an on-disk cache."""

from zcphar.data.prepare import prepare
from zcphar.data.protocol import ProtocolOptions
from zcphar.data.registry import DatasetInfo, get_dataset, list_datasets, register_dataset
from zcphar.data.types import SPLITS, UNLABELLED, PreparedDataset, RawDataset, Recording, Split

__all__ = [
    "SPLITS",
    "UNLABELLED",
    "DatasetInfo",
    "PreparedDataset",
    "ProtocolOptions",
    "RawDataset",
    "Recording",
    "Split",
    "get_dataset",
    "list_datasets",
    "prepare",
    "register_dataset",
]
