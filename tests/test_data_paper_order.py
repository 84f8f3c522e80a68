"""Paper mode with stride decimation keeps the reference's order: decimate every k-th row first,
then delete excluded rows (PAMAP2's label 0), so the kept rows are those at even indices."""

import numpy as np

from zcphar.data.prepare import _process
from zcphar.data.protocol import ProtocolOptions
from zcphar.data.types import UNLABELLED, Recording


def test_stride_then_drop_unlabelled():
    t = 12
    data = np.arange(t, dtype=float)[:, None] * np.ones((1, 3))
    labels = np.array([0, UNLABELLED, UNLABELLED, 1, 1, 0, UNLABELLED, 1, 0, 0, 1, 1])
    rec = Recording(1, "s", data, labels)
    out = _process(rec, [0, 1, 2], "stride", 100.0, ProtocolOptions(resampler="stride"))
    # by hand: rows 0, 2, 4, 6, 8, 10 survive decimation; rows 2 and 6 are unlabelled
    expected_rows = [0, 4, 8, 10]
    assert len(out) == 1
    np.testing.assert_array_equal(out[0].data[:, 0], expected_rows)
    np.testing.assert_array_equal(out[0].labels, labels[expected_rows])
