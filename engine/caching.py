"""The one bounded cache every cache of the engine and the web app is made of.

A cache here remembers what a pure function computed from its key: the SQL of a
statement, the HTML of a row, a signed-in user for a second or two. Each is bounded,
so no key an attacker or a busy day makes up can grow memory without end: when it is
full, the key first written longest ago goes. The entries are an OrderedDict, which keeps
the order they were written in at no cost to a read (the hot paths read most), and drops
its oldest in constant time: a plain dict's first key is found by stepping over every
slot deleted before it, which makes each write to a full cache slower as it is bigger.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, ItemsView, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class BoundedCache(Generic[K, V]):
    """A mapping of at most `size` entries; writing a new key when full drops the oldest."""

    __slots__ = ("_entries", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one entry")
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value of `key`, or `default`."""
        return self._entries.get(key, default)

    def __getitem__(self, key: K) -> V:
        return self._entries[key]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)

    def items(self) -> ItemsView[K, V]:
        """The entries, as a dict's items."""
        return self._entries.items()

    def __setitem__(self, key: K, value: V) -> None:
        entries = self._entries
        if key not in entries and len(entries) >= self.size:
            # the oldest; another thread may have dropped it, or be writing, meanwhile
            with contextlib.suppress(KeyError):
                entries.popitem(last=False)
        entries[key] = value

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Forget `key`, answering its value or `default`."""
        return self._entries.pop(key, default)

    def clear(self) -> None:
        """Forget every entry (what it remembered proves nothing any more)."""
        self._entries.clear()

    def get_or_build(self, key: K, build: Callable[[], V]) -> V:
        """The value of `key`, built and remembered if it is not there yet."""
        value = self._entries.get(key, _MISSING)
        if value is _MISSING:
            value = build()
            self[key] = value
        return value  # type: ignore[return-value]
