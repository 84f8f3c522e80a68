"""Resampling keeps a sine's frequency; stride equals slicing; labels are held, not mixed."""

import numpy as np
import pytest

from zcphar.data.resample import fill_nans, poly, resolve_resampler, stride, time_based
from zcphar.data.types import Recording
from zcphar.errors import ZcpharError


def _sine(rate, seconds=20.0, freq=3.0, times=None):
    t = np.arange(int(seconds * rate)) / rate if times is None else times
    data = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    labels = (t >= seconds / 2).astype(np.int64)  # class 0 then class 1
    return Recording(1, "s", data, labels, times)


def _peak_hz(x, rate):
    spectrum = np.abs(np.fft.rfft(x - x.mean()))
    return np.fft.rfftfreq(len(x), 1 / rate)[spectrum.argmax()]


@pytest.mark.parametrize("native", [100.0, 200.0, 25.0, 60.0])
def test_poly_keeps_the_frequency_and_length(native):
    out = poly(_sine(native), native, 50.0)
    assert out.data.shape[0] == int(np.ceil(20 * native * 50 / native))
    assert _peak_hz(out.data[:, 0], 50.0) == pytest.approx(3.0, abs=0.06)
    # zero-order hold: the label switches at t = 10 s, i.e. output row 500
    assert out.labels[499] == 0 and out.labels[500] == 1


def test_stride_equals_plain_slicing():
    rec = _sine(200.0)
    out = stride(rec, 4)
    assert np.array_equal(out.data, rec.data[::4])
    assert np.array_equal(out.labels, rec.labels[::4])
    assert _peak_hz(out.data[:, 0], 50.0) == pytest.approx(3.0, abs=0.06)


def test_time_based_handles_jitter_duplicates_and_gaps():
    rng = np.random.default_rng(0)
    dt = (1 + 0.3 * rng.uniform(-1, 1, 4000)) / 200.0
    times = np.cumsum(dt)
    times[2000:] += 5.0  # a 5 s gap splits the session
    times[100] = times[99]  # a duplicate timestamp
    rec = _sine(200.0, times=times)
    pieces = time_based(rec, 200.0, 50.0, max_gap_s=1.0)
    assert [p.session for p in pieces] == ["s.0", "s.1"]
    for p in pieces:
        assert _peak_hz(p.data[:, 0], 50.0) == pytest.approx(3.0, abs=0.1)
        assert set(np.unique(p.labels)) <= {0, 1}


def test_auto_resolution_and_refusals():
    assert resolve_resampler("auto", "paper", 100, 50, False) == "stride"
    assert resolve_resampler("auto", "paper", 25, 50, False) == "poly"
    assert resolve_resampler("auto", "paper", 60, 50, False) == "poly"
    assert resolve_resampler("auto", "paper", 100, 50, True) == "time"
    assert resolve_resampler("auto", "clean", 100, 50, False) == "poly"
    with pytest.raises(ZcpharError, match="not an integer; choose one of: poly, time, auto"):
        resolve_resampler("stride", "paper", 94, 50, False)
    with pytest.raises(ZcpharError, match="irregular; choose one of: time, auto"):
        resolve_resampler("stride", "paper", 100, 50, True)
    with pytest.raises(ZcpharError, match="unknown resampler 'fft'"):
        resolve_resampler("fft", "paper", 100, 50, False)


def test_nan_interpolation_and_refusal():
    data = np.array([[np.nan, 1.0], [2.0, np.nan], [np.nan, 5.0], [6.0, 7.0], [np.nan, 9.0]])
    rec = Recording(1, "s", data, np.zeros(5, dtype=np.int64))
    filled = fill_nans(rec, "interpolate").data
    # channel 0: back-fill 2, interpolate (2+6)/2, forward-fill 6; channel 1: (1+5)/2
    assert filled[:, 0].tolist() == [2.0, 2.0, 4.0, 6.0, 6.0]
    assert filled[:, 1].tolist() == [1.0, 3.0, 5.0, 7.0, 9.0]
    with pytest.raises(ZcpharError, match="4 NaN/inf values in subject 1"):
        fill_nans(rec, "error")
    empty = Recording(1, "s", np.full((3, 1), np.nan), np.zeros(3, dtype=np.int64))
    with pytest.raises(ZcpharError, match="entirely NaN"):
        fill_nans(empty, "interpolate")
