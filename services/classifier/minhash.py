"""MinHash signatures and a banded LSH index: near copies (syndicated wire copy) in O(1).

The classic scheme, as datasketch's ``MinHash`` (legacy permutations) and ``MinHashLSH``
implement it: each shingle's 32-bit hash goes through ``num_perm`` random maps
``h -> (a*h + b) mod (2**61 - 1)``, truncated to 32 bits, and a signature keeps the minimum
per map; two signatures agree on a map with probability equal to the sets' Jaccard
similarity. The index cuts signatures into ``b`` bands of ``r`` rows, (b, r) chosen to weigh
false positives against false negatives at the threshold. About a hundred lines over numpy,
written here because datasketch imports scipy (140 MB of the image) for that one integral.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

MERSENNE_PRIME = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
BATCH_TEXTS = 32  # texts per numpy pass of ``MinHash.batch``: products in cache (256: slower)
INTEGRATION_POINTS = 257  # trapezoids for the error integrals; (b, r) is stable well before


def sha1_hash32(data: bytes) -> int:
    """The first 4 bytes of SHA-1, little-endian (datasketch's default shingle hash)."""
    value: int = struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]
    return value


class MinHash:
    """A MinHash signature; ``permutations`` may be shared so signatures are comparable."""

    def __init__(
        self, num_perm: int = 128, seed: int = 1, hashfunc: Callable[[bytes], int] | None = None,
        permutations: tuple[Any, Any] | None = None, scheme: str = "legacy",
    ) -> None:
        if num_perm < 1:
            raise ValueError("num_perm must be positive")
        self.num_perm, self.seed, self.scheme = num_perm, seed, scheme
        self.hashfunc = hashfunc or sha1_hash32
        if permutations is None:
            generator = np.random.RandomState(seed)
            permutations = (
                generator.randint(1, MERSENNE_PRIME, num_perm, dtype=np.uint64),
                generator.randint(0, MERSENNE_PRIME, num_perm, dtype=np.uint64),
            )
        self.permutations = permutations
        self.hashvalues = np.full(num_perm, MAX_HASH, dtype=np.uint64)

    def update_batch(self, values: Iterable[bytes]) -> None:
        hashes = np.array([self.hashfunc(v) & MAX_HASH for v in values], dtype=np.uint64)
        if not hashes.size:
            return
        a, b = self.permutations
        # uint64 products wrap mod 2**64 before the modulus, exactly as datasketch's legacy maps.
        mapped = hashes[:, None] * a
        mapped += b
        self.hashvalues = np.minimum(_mod_mersenne(mapped).min(axis=0), self.hashvalues)

    @classmethod
    def batch(cls, texts: Sequence[Sequence[bytes]], like: MinHash) -> list[MinHash]:
        """One signature per shingle list, as ``update_batch`` on a fresh copy of ``like``
        would give (same permutations and hash), computed in a few numpy calls for the lot:
        per text the numpy overhead, not the arithmetic, was most of a signature's cost."""
        found: list[MinHash] = []
        a, b = like.permutations
        for lo in range(0, len(texts), BATCH_TEXTS):
            chunk = texts[lo:lo + BATCH_TEXTS]
            sizes = np.fromiter((len(t) for t in chunk), dtype=np.int64, count=len(chunk))
            # Hashed in C (map over the chained shingles), masked to 32 bits after.
            hashes = np.fromiter(map(like.hashfunc, itertools.chain.from_iterable(chunk)),
                                 dtype=np.uint64, count=int(sizes.sum()))
            hashes &= np.uint64(MAX_HASH)
            full = sizes > 0
            signatures = np.full((len(chunk), like.num_perm), MAX_HASH, dtype=np.uint64)
            if hashes.size:
                mapped = hashes[:, None] * a
                mapped += b
                starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[full]
                signatures[full] = np.minimum.reduceat(_mod_mersenne(mapped), starts, axis=0)
            for row in signatures:
                minhash = cls(like.num_perm, like.seed, like.hashfunc, like.permutations,
                              like.scheme)
                minhash.hashvalues = row
                found.append(minhash)
        return found

    def jaccard(self, other: MinHash) -> float:
        if other.num_perm != self.num_perm:
            raise ValueError("signatures of different lengths cannot be compared")
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / self.num_perm


def _mod_mersenne(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``values % (2**61 - 1) & MAX_HASH``, without numpy's slow 64-bit division: with
    x = q * 2**61 + r, x = r + q (mod 2**61 - 1), and r + q is below twice the prime (once it
    is at least the prime, the wrapped-around ``y - prime`` is the smaller of the two)."""
    prime = np.uint64(MERSENNE_PRIME)
    reduced = values & prime
    values >>= np.uint64(61)
    reduced += values
    np.minimum(reduced, reduced - prime, out=reduced)
    reduced &= np.uint64(MAX_HASH)
    return reduced


_EMPTY = object()  # no bucket (a key may be None)


class MinHashLSH:
    """Keys whose signatures share at least one band with a query's: the candidates."""

    def __init__(self, threshold: float = 0.9, num_perm: int = 128,
                 weights: tuple[float, float] = (0.5, 0.5)) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must be in [0, 1]")
        self.bands, self.rows = optimal_bands(threshold, num_perm, *weights)
        # A bucket is its one key itself, a set only from its second key on (a key is never a
        # ``set``: sets are not hashable): most bands of most signatures are unique, and a set
        # per band and article was most of the index's memory.
        self._tables: list[dict[bytes, Any]] = [{} for _ in range(self.bands)]
        self._keys: dict[Hashable, list[bytes]] = {}
        self._band = np.dtype((np.void, 8 * self.rows))  # one band's rows as one bytes key
        self._last: tuple[Any, list[bytes]] = (None, [])

    def _band_keys(self, minhash: MinHash) -> list[bytes]:
        """Each band's bytes, cut in one numpy view; the last signature's are kept because a
        query is usually followed by the insert of the same signature."""
        values = minhash.hashvalues
        if self._last[0] is values:
            return self._last[1]
        used = np.ascontiguousarray(values[:self.bands * self.rows], dtype=np.uint64)
        keys: list[bytes] = used.view(self._band).tolist()
        self._last = (values, keys)
        return keys

    def insert(self, key: Hashable, minhash: MinHash, check_duplication: bool = True) -> None:
        if check_duplication and key in self._keys:
            raise ValueError(f"key {key!r} is already in the index")
        bands = self._band_keys(minhash)
        self._keys[key] = bands
        for table, band in zip(self._tables, bands, strict=True):
            bucket = table.get(band, _EMPTY)
            if bucket is _EMPTY:
                table[band] = key
            elif type(bucket) is set:
                bucket.add(key)
            else:  # built as set().add(first), .add(key) would: same order when iterated
                table[band] = {bucket, key}

    def query(self, minhash: MinHash) -> list[Hashable]:
        found: set[Hashable] = set()
        for table, band in zip(self._tables, self._band_keys(minhash), strict=True):
            bucket = table.get(band, _EMPTY)
            if bucket is _EMPTY:
                continue
            if type(bucket) is set:
                found |= bucket
            else:
                found.add(bucket)
        return list(found)

    def remove(self, key: Hashable) -> None:
        for table, band in zip(self._tables, self._keys.pop(key), strict=True):
            bucket = table[band]
            if type(bucket) is not set:
                if bucket == key:
                    del table[band]
                continue
            bucket.discard(key)  # a set stays a set, in the order it had
            if not bucket:
                del table[band]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys


@lru_cache(maxsize=32)
def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5,
                  fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimising the weighted areas of false positives below the threshold and
    false negatives above it (datasketch's ``_optimal_param``, integrated by trapezoids)."""
    below = np.linspace(0.0, threshold, INTEGRATION_POINTS)
    above = np.linspace(threshold, 1.0, INTEGRATION_POINTS)
    best, choice = float("inf"), (1, 1)
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = np.trapezoid(1 - (1 - below**rows) ** bands, below)
            fn = np.trapezoid((1 - above**rows) ** bands, above)
            error = fp * fp_weight + fn * fn_weight
            if error < best:
                best, choice = float(error), (bands, rows)
    return choice
