"""`ui.data.shared`: the caches every session of the process shares (cachetools, keyed
on the arguments as they are)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ui import data


@pytest.fixture
def make_shared() -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def make(func: Callable[..., Any], **options: Any) -> Any:
        cached = data.shared(**{"ttl": 60, "max_entries": 4, **options})(func)
        made.append(cached)
        return cached

    yield make
    for cached in made:
        data._SHARED.remove(cached)


def test_a_parameter_named_with_an_underscore_is_not_in_the_key(make_shared) -> None:
    # As in Streamlit's caches: _timeline_tree is keyed on the plan's stamp, and the
    # full stamp it is given (underscored) must not make every save a miss.
    calls: list[tuple] = []

    def tree(plan_stamp_: tuple, flt_key: tuple, _stamp: tuple) -> tuple:
        calls.append((plan_stamp_, flt_key, _stamp))
        return (plan_stamp_, _stamp)

    read = make_shared(tree)
    assert read((1,), ("sw",), (1, 5)) == ((1,), (1, 5))
    assert read((1,), ("sw",), (1, 6)) == ((1,), (1, 5))  # a hit: the first one's
    assert read((1,), ("kc",), (1, 6)) == ((1,), (1, 6))  # another filter: a miss
    assert read((2,), ("sw",), (2, 6)) == ((2,), (2, 6))  # another plan: a miss
    assert len(calls) == 3


def test_hits_return_the_same_object_and_keys_are_by_value(make_shared) -> None:
    read = make_shared(lambda stamp_, day: [stamp_, day])
    first = read((1, 2), "2021-06-01")
    assert read((1, 2), "2021-06-01") is first  # shared, not copied
    assert read(tuple([1, 2]), "2021-06-01") is first  # an equal key, another object
    assert read((1, 3), "2021-06-01") is not first


def test_sessions_asking_at_once_compute_a_result_once(make_shared) -> None:
    # The condition: a session asking for what another is computing waits for it
    # (st.cache_resource's per-key lock did the same).
    calls: list[int] = []
    started = threading.Event()

    def slow(key: int) -> int:
        calls.append(key)
        started.set()
        time.sleep(0.2)
        return key * 10

    read = make_shared(slow)
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(read(7)))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=lambda: results.append(read(7))) for _ in range(4)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(5)
    assert results == [70] * 5 and calls == [7]


def test_a_failure_is_not_cached_and_does_not_block_the_next_caller(make_shared) -> None:
    calls: list[int] = []

    def flaky(key: int) -> int:
        calls.append(key)
        if len(calls) == 1:
            raise RuntimeError("database unavailable")
        return key

    read = make_shared(flaky)
    with pytest.raises(RuntimeError):
        read(1)
    assert read(1) == 1 and calls == [1, 1]


def test_entries_are_bounded_and_expire(make_shared) -> None:
    calls: list[int] = []
    read = make_shared(lambda key: calls.append(key) or key, max_entries=2, ttl=60)
    read(1), read(2), read(3)  # 1 is dropped for 3
    read(3), read(2)
    assert calls == [1, 2, 3]
    read(1)
    assert calls == [1, 2, 3, 1]

    brief = make_shared(lambda key: calls.append(key) or key, ttl=0.2)
    brief(9), brief(9)
    time.sleep(0.3)  # older than its ttl: read again
    brief(9)
    assert calls[4:] == [9, 9]


def test_no_ttl_keeps_entries_until_forgotten(make_shared) -> None:
    calls: list[int] = []
    read = make_shared(lambda key: calls.append(key) or key, ttl=None)
    read(1), read(1)
    data.forget_cached()
    read(1)
    assert calls == [1, 1]
