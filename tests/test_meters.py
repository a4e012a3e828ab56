"""The shared meters in meters.py, on a clock the test moves."""

from __future__ import annotations

import pytest

import meters
from meters import Average, RateMeter


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(meters.time, "monotonic", lambda: now[0])
    return now


def ticks(meter: RateMeter, clock: list[float], rate: float, seconds: float) -> None:
    for _ in range(round(rate * seconds)):
        meter.tick()
        clock[0] += 1 / rate


@pytest.mark.parametrize("rate", [1.0, 7.0, 30.0])
def test_a_steady_rate_reads_the_same_anywhere_between_two_ticks(clock, rate):
    meter = RateMeter(window_s=2.0)
    ticks(meter, clock, rate, 5)
    last_tick = clock[0] - 1 / rate
    for fraction in (0.0, 0.5, 0.99):
        clock[0] = last_tick + fraction / rate
        assert meter.rate() == pytest.approx(rate, rel=1e-6)


def test_the_rate_falls_when_ticks_stop(clock):
    meter = RateMeter(window_s=2.0)
    ticks(meter, clock, 30.0, 3)
    clock[0] += 1.0
    assert meter.rate() < 16
    clock[0] += 1.5
    assert meter.rate() == 0.0


def test_average_starts_at_its_first_sample_then_moves_by_its_weight():
    average = Average(weight=0.25)
    assert average.rounded() is None
    average.add(8.0)
    average.add(4.0)
    assert average.value == 7.0
