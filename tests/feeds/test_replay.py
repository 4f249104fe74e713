"""Replay: snapshot times in order, full state per step, sleeps scaled by the speed factor."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from hktwin.feeds.base import Observation
from hktwin.feeds.replay import replay, timeline
from hktwin.feeds.store import HKT, FeedStore

T0 = datetime(2024, 3, 1, 8, 0, tzinfo=HKT)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def store(tmp_path):
    with FeedStore(tmp_path / "feeds.sqlite") as s:
        # Traffic every 2 minutes (link "b" stops reporting after minute 2); weather every 3.
        for m in (0, 2, 4, 6):
            s.add([Observation("traffic", "a", at(m), 10 + m, "km/h")]
                  + ([Observation("traffic", "b", at(m), 50, "km/h")] if m <= 2 else []))
        for m in (0, 3, 6):
            s.add([Observation("weather", "hko", at(m), 25 + m, "degC")])
        yield s


class FakeTime:
    """A clock that only moves when something sleeps (or a consumer is slow)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_timeline_merges_the_sources_snapshot_times(store):
    assert timeline(store) == [(at(0), ["traffic", "weather"]), (at(2), ["traffic"]),
                               (at(3), ["weather"]), (at(4), ["traffic"]),
                               (at(6), ["traffic", "weather"])]
    assert [t for t, _ in timeline(store, ["weather"], start=at(1))] == [at(3), at(6)]


def test_each_step_has_the_full_state_of_the_sources_that_changed(store):
    fake = FakeTime()
    steps = list(replay(store, speed=60, sleep=fake.sleep, clock=fake.clock))
    assert [s.time for s in steps] == [at(0), at(2), at(3), at(4), at(6)]
    assert set(steps[0].values) == {"traffic", "weather"} and set(steps[1].values) == {"traffic"}
    four = steps[3].values["traffic"]
    assert four["a"][0] == 14 and four["b"] == (50, at(2), {})  # b's last report still holds
    assert steps[4].values["weather"]["hko"][0] == 31


def test_sleeps_are_the_recorded_gaps_divided_by_the_speed(store):
    fake = FakeTime()
    list(replay(store, speed=60, sleep=fake.sleep, clock=fake.clock))
    assert fake.sleeps == pytest.approx([2.0, 1.0, 1.0, 2.0])  # minutes at 60x are seconds
    fast = FakeTime()
    list(replay(store, speed=math.inf, sleep=fast.sleep, clock=fast.clock))
    assert fast.sleeps == []


def test_a_slow_consumer_does_not_make_the_replay_drift(store):
    fake = FakeTime()
    for _step in replay(store, speed=60, sleep=fake.sleep, clock=fake.clock):
        fake.now += 0.5  # the consumer takes half a second per step
    assert sum(fake.sleeps) + 0.5 * 4 == pytest.approx(6.0)  # the last step is still due at 6 s


def test_start_end_and_source_select_the_steps(store):
    fake = FakeTime()
    steps = list(replay(store, 1000, ["traffic"], start=at(1), end=at(4),
                        sleep=fake.sleep, clock=fake.clock))
    assert [(s.time, list(s.values)) for s in steps] == [(at(2), ["traffic"]),
                                                         (at(4), ["traffic"])]
    assert list(replay(store, 1, ["nothing"])) == []


def test_max_age_drops_keys_that_stopped_reporting(store):
    steps = list(replay(store, math.inf, ["traffic"], max_age=timedelta(minutes=1)))
    assert set(steps[-1].values["traffic"]) == {"a"}


@pytest.mark.parametrize("speed", [0, -1, math.nan, 1e-300, 1e300])
def test_the_speed_must_be_in_range(store, speed):
    with pytest.raises(ValueError, match="outside"):
        next(replay(store, speed))
