"""The bounded cache every cache is made of, against a plain dict of the same writes."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.caching import BoundedCache


@given(size=st.integers(1, 8), writes=st.lists(st.tuples(st.integers(0, 20), st.integers())))
def test_it_holds_what_a_dict_holds_less_the_oldest_keys(size, writes):
    cache, plain, order = BoundedCache(size), {}, []
    for key, value in writes:
        cache[key] = value
        plain[key] = value
        if key not in order:  # a new key; writing a known one again keeps its place
            if len(order) == size:
                del plain[order.pop(0)]  # the entry first written longest ago goes
            order.append(key)
    assert len(cache) == len(plain) <= size
    assert {k: cache[k] for k in cache} == plain


def test_a_value_is_built_once():
    built = []
    cache = BoundedCache(2)
    for _ in range(3):
        assert cache.get_or_build("k", lambda: built.append(1) or "v") == "v"
    assert built == [1]


def test_threads_writing_at_once_never_grow_it_past_its_size():
    cache = BoundedCache(50)

    def write(start):
        for n in range(start, start + 5_000):
            cache[n] = n

    threads = [threading.Thread(target=write, args=(n * 10_000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) <= 50 + 4  # each thread may add one while another drops one


def test_a_cache_holds_at_least_one_entry():
    with pytest.raises(ValueError):
        BoundedCache(0)
