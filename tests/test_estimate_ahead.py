"""The pose thread: results in frame order, errors passed on, a clean stop, and real overlap."""

from __future__ import annotations

import threading

import pytest

from realtime.pipeline.estimate_ahead import EstimateAhead


def test_results_come_in_frame_order_and_all_of_them():
    with EstimateAhead(range(50), lambda k: k * k) as ahead:
        assert list(ahead) == [k * k for k in range(50)]


def test_the_model_works_on_the_next_frame_while_the_caller_handles_this_one():
    started = [threading.Event() for _ in range(6)]

    def estimate(k: int) -> int:
        started[k].set()
        return k

    with EstimateAhead(range(6), estimate) as ahead:
        for k in ahead:
            if k + 1 < len(started):
                # one frame at a time would never start k+1 before this returns
                assert started[k + 1].wait(timeout=10.0), f"frame {k + 1} was not started ahead"


def test_an_error_of_the_model_reaches_the_caller_after_the_good_frames():
    def estimate(k: int) -> int:
        if k == 3:
            raise ValueError("model failed on frame 3")
        return k

    seen = []
    with pytest.raises(ValueError, match="frame 3"), EstimateAhead(range(10), estimate) as ahead:
        for k in ahead:
            seen.append(k)
    assert seen == [0, 1, 2]


def test_an_error_of_the_source_reaches_the_caller():
    def frames():
        yield 0
        raise OSError("camera unplugged")

    with pytest.raises(OSError, match="unplugged"), EstimateAhead(frames(), lambda k: k) as ahead:
        list(ahead)


def test_stopping_early_ends_the_thread_and_reads_no_further():
    asked = []

    def frames():
        for k in range(1000):
            asked.append(k)
            yield k

    ahead = EstimateAhead(frames(), lambda k: k)
    for k in ahead:
        if k == 5:
            break
    ahead.close()
    assert not ahead._thread.is_alive()
    assert len(asked) <= 5 + 3  # this frame, one handed over, one in the model at most
