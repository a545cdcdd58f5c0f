"""What a run remembers per article, in a few bytes: sets and maps of 64-bit digests in flat arrays.

A batch must remember something of every article it has seen (the ids already read, to report a
duplicate; the articles the output already holds, to resume), so memory grows with the input by
that much however well it is bounded otherwise. A Python ``set`` of id strings costs about 100
bytes an article (12 MB at 100,000); :class:`DigestSet` keeps each as a 64-bit digest in an
``array('Q')`` table at most two-thirds full (12 to 24 bytes an article), and :class:`DigestMap`
adds a 64-bit value beside each. Two ids share a digest with odds of about n²/2^65 (one in a
billion at 200,000 articles).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterator

__all__ = ["DigestMap", "DigestSet", "digest"]

_EMPTY = 0  # a free slot; a digest of 0 is stored as 1


def digest(*parts: object) -> int:
    """A 64-bit digest of ``parts`` (their ``str``, joined by a unit separator); never 0."""
    blob = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(blob, digest_size=8).digest(), "big") or 1


class DigestSet:
    """A set of 64-bit digests (ints): open addressing, linear probing, one flat array."""

    _with_values = False

    def __init__(self) -> None:
        self._keys = array("Q", bytes(8 * 16))
        self._values = array("Q", bytes(8 * 16)) if self._with_values else array("Q")
        self._mask = 15
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def _slot(self, key: int) -> int:
        keys, mask = self._keys, self._mask
        i = (key ^ (key >> 29)) & mask
        while keys[i] != _EMPTY and keys[i] != key:
            i = (i + 1) & mask
        return i

    def __contains__(self, key: int) -> bool:
        return self._keys[self._slot(key or 1)] != _EMPTY

    def _insert(self, key: int) -> tuple[int, bool]:
        """The slot of ``key``, claimed for it if it was free, and whether it was."""
        i = self._slot(key)
        if self._keys[i] != _EMPTY:
            return i, False
        if (self._n + 1) * 3 > len(self._keys) * 2:
            self._grow()
            i = self._slot(key)
        self._keys[i] = key
        self._n += 1
        return i, True

    def add(self, key: int) -> bool:
        """Add ``key``; True when it was not there."""
        return self._insert(key or 1)[1]

    def __iter__(self) -> Iterator[int]:
        for k in self._keys:
            if k != _EMPTY:
                yield k

    def _grow(self) -> None:
        old_keys, old_values = self._keys, self._values
        size = len(old_keys) * 2
        self._keys = array("Q", bytes(8 * size))
        self._values = array("Q", bytes(8 * size)) if self._with_values else array("Q")
        self._mask = size - 1
        for j, k in enumerate(old_keys):
            if k != _EMPTY:
                i = self._slot(k)
                self._keys[i] = k
                if self._with_values:
                    self._values[i] = old_values[j]


class DigestMap(DigestSet):
    """A map from 64-bit digests (ints) to 64-bit unsigned values."""

    _with_values = True

    def get(self, key: int, default: int | None = None) -> int | None:
        i = self._slot(key or 1)
        return self._values[i] if self._keys[i] != _EMPTY else default

    def put(self, key: int, value: int = 0) -> bool:
        """Set ``key`` to ``value``; True when the key is new."""
        i, new = self._insert(key or 1)
        self._values[i] = value
        return new

    def items(self) -> Iterator[tuple[int, int]]:
        for k, v in zip(self._keys, self._values, strict=True):
            if k != _EMPTY:
                yield k, v

    def values(self) -> Iterator[int]:
        for _, v in self.items():
            yield v
