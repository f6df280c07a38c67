import numpy as np

from realtime.analysis.smoothing import OneEuroFilter, OneEuroParams, smoothing_factor


def test_smoothing_factor_matches_definition():
    # tau = 1 / (2 pi fc); alpha = 1 / (1 + tau / dt)
    dt, fc = 1 / 30, 3.0
    tau = 1 / (2 * np.pi * fc)
    assert np.isclose(smoothing_factor(dt, fc), 1 / (1 + tau / dt))


def test_constant_signal_passes_unchanged():
    f = OneEuroFilter()
    out = [f.update(i / 30, np.array([5.0, -2.0])) for i in range(30)]
    assert np.allclose(out[-1], [5.0, -2.0])


def test_jitter_is_reduced_and_ramp_is_followed():
    rng = np.random.default_rng(0)
    t = np.arange(300) / 30
    noise = rng.normal(0, 2.0, t.size)
    f = OneEuroFilter(OneEuroParams(min_cutoff=1.0, beta=0.0))
    still = np.array([f.update(ti, np.array([n]))[0] for ti, n in zip(t, noise)])
    assert still[30:].std() < 0.5 * noise[30:].std()
    f = OneEuroFilter(OneEuroParams(min_cutoff=1.0, beta=0.5))
    ramp = np.array([f.update(ti, np.array([100.0 * ti]))[0] for ti in t])
    lag = 100.0 * t[-1] - ramp[-1]
    assert 0 <= lag < 10.0  # less than 0.1 s behind a fast ramp


def test_none_passes_and_long_gap_restarts():
    f = OneEuroFilter(reset_after_s=0.5)
    f.update(0.0, np.array([0.0]))
    assert f.update(0.1, None) is None
    # a gap longer than reset_after_s: the filter starts again from the new value
    assert np.allclose(f.update(1.0, np.array([50.0])), [50.0])
    # a short gap keeps smoothing
    assert f.update(1.1, np.array([0.0]))[0] > 0.0
