"""MinHash/LSH for syndicated copies: estimates track Jaccard, the index finds near copies."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from services.classifier.minhash import MAX_HASH, MERSENNE_PRIME, MinHash, MinHashLSH, optimal_bands

WIRE_TEXT = ("Iran has shipped short-range ballistic missiles to Russia for use in Ukraine, "
             "Western officials said on Friday, in a transfer that Tehran denies")
OTHER_TEXT = ("Floods force tens of thousands from their homes in southern Brazil as rivers "
              "burst their banks after days of rain")
WIRE = WIRE_TEXT.split(" ")
REWRITE = [*WIRE[:-4], "according", "to", "two", "European", "intelligence", "officials"]
OTHER = OTHER_TEXT.split(" ")


def _shingles(words: list[str]) -> list[bytes]:
    return [" ".join(words[i:i + 3]).encode() for i in range(len(words) - 2)]


def _signature(words: list[str], like: MinHash | None = None) -> MinHash:
    minhash = MinHash(num_perm=128, hashfunc=zlib.crc32,
                      permutations=like.permutations if like else None)
    minhash.update_batch(_shingles(words))
    return minhash


def test_estimate_tracks_the_true_jaccard() -> None:
    wire = _signature(WIRE)
    rewrite = _signature(REWRITE, like=wire)
    a, b = set(_shingles(WIRE)), set(_shingles(REWRITE))
    assert rewrite.jaccard(wire) == pytest.approx(len(a & b) / len(a | b), abs=0.12)
    assert _signature(OTHER, like=wire).jaccard(wire) < 0.1


def test_index_returns_near_copies_and_forgets_removed_keys() -> None:
    index = MinHashLSH(threshold=0.5, num_perm=128)
    wire = _signature(WIRE)
    index.insert("wire", wire)
    index.insert("floods", _signature(OTHER, like=wire))
    assert index.query(_signature(WIRE, like=wire)) == ["wire"]
    index.remove("wire")
    assert "wire" not in index and index.query(wire) == []
    with pytest.raises(ValueError, match="already"):
        index.insert("floods", wire)


@pytest.mark.parametrize(("threshold", "num_perm", "expected"),
                         [(0.5, 128, (25, 5)), (0.9, 128, (5, 25)), (0.5, 64, (14, 4))])
def test_bands_are_the_classic_optimum(threshold: float, num_perm: int,
                                       expected: tuple[int, int]) -> None:
    """The same (bands, rows) datasketch's MinHashLSH picks for these settings."""
    assert optimal_bands(threshold, num_perm) == expected


def test_signature_is_the_plain_modulus_of_the_affine_maps() -> None:
    """The shift-and-add reduction mod 2**61 - 1 gives datasketch's ``(a*h + b) % prime``."""
    words = WIRE + OTHER + [str(n) for n in range(300)]
    shingles = _shingles(words)
    minhash = _signature(words)
    a, b = minhash.permutations
    expected = np.full(128, MAX_HASH, dtype=np.uint64)
    for shingle in shingles:
        h = np.uint64(zlib.crc32(shingle) & MAX_HASH)
        mapped = ((h * a + b) % np.uint64(MERSENNE_PRIME)) & np.uint64(MAX_HASH)
        expected = np.minimum(expected, mapped)
    assert (minhash.hashvalues == expected).all()
    extremes = MinHash(num_perm=128, permutations=minhash.permutations, hashfunc=lambda v: int(v))
    extremes.update_batch([b"0", b"1", str(MAX_HASH).encode(), str(2**31).encode()])
    plain = [((np.uint64(v) * a + b) % np.uint64(MERSENNE_PRIME)) & np.uint64(MAX_HASH)
             for v in (0, 1, MAX_HASH, 2**31)]
    assert (extremes.hashvalues == np.minimum.reduce(plain)).all()


def test_a_batch_of_signatures_equals_one_signature_at_a_time() -> None:
    """``MinHash.batch`` gives each text the signature ``update_batch`` gives it alone,
    empty texts and texts cut across numpy passes included."""
    like = MinHash(num_perm=128, hashfunc=zlib.crc32)
    texts = [_shingles(WIRE), [], _shingles(OTHER), _shingles(REWRITE),
             *[_shingles([*OTHER, str(n)]) for n in range(300)], [b"only one"]]
    for signature, shingles in zip(MinHash.batch(texts, like), texts, strict=True):
        alone = _signature([], like=like)
        alone.update_batch(shingles)
        assert (signature.hashvalues == alone.hashvalues).all()
        assert signature.permutations is like.permutations and signature.hashfunc is zlib.crc32
