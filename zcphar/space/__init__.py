"""The search space: architecture specs, seeded sampling, building modules, counting params/FLOPs.

    from zcphar.space import sample, build
    specs = sample(1500, numpy.random.default_rng(0))
    model = build(specs[0], in_channels=3, num_classes=6, seed=0)   # (N, 3, T) -> (N, 6)

Families (CNN, LSTM, ...) live one per module in `zcphar/space/families/` and register
themselves; see `zcphar.space.registry`.
"""

from zcphar.space.build import HEAD_INITS, build, init_weights
from zcphar.space.families.cnn import CNNSpec, ConvBlock
from zcphar.space.families.lstm import LSTMBlock, LSTMSpec
from zcphar.space.io import arch_record, read_archs, write_archs
from zcphar.space.measure import count_flops, count_params, space_size
from zcphar.space.registry import Family, get_family, list_families, register_family, spec_from_dict
from zcphar.space.sampling import DEFAULT_RATIO, Constraints, sample
from zcphar.space.spec import ArchSpec

__all__ = [
    "ArchSpec",
    "CNNSpec",
    "ConvBlock",
    "Constraints",
    "DEFAULT_RATIO",
    "Family",
    "HEAD_INITS",
    "LSTMBlock",
    "LSTMSpec",
    "arch_record",
    "build",
    "count_flops",
    "count_params",
    "get_family",
    "init_weights",
    "list_families",
    "read_archs",
    "register_family",
    "sample",
    "space_size",
    "spec_from_dict",
    "write_archs",
]
