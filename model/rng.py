"""Common random numbers, done as Starsim does: one stream per (root seed, decision, year).

A draw is a counter-based hash of (stream key, agent slot), so one firm's draw never depends
on who else drew, on how many agents there are, or on the batch it runs in. A policy change
that alters no decision leaves every draw, and so every output, bit-identical.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))
_TO_UNIT = 2.0 ** -53


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele, Lea and Flood 2014), in place on uint64 arrays."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def root_key(rng: np.random.Generator) -> np.uint64:
    """The run's root key, drawn once from the run's own generator (Mesa's `self.rng`)."""
    return np.uint64(rng.integers(0, 2**63, dtype=np.uint64))


def stream_keys(roots: np.ndarray, decision: str, year: int) -> np.ndarray:
    """Keys (B,) of the stream for `decision` in `year`, one per run."""
    tag = np.uint64((zlib.crc32(decision.encode()) << 16) ^ (year & 0xFFFF))
    with np.errstate(over="ignore"):
        return _mix(np.asarray(roots, np.uint64) ^ _mix(np.array([tag], np.uint64)))


def uniform(roots: np.ndarray, decision: str, year: int, n: int, offset: int = 0) -> np.ndarray:
    """Uniforms in (0, 1), shape (B, n): slot i of run b gets hash(key_b, offset + i)."""
    keys = stream_keys(roots, decision, year)
    slots = (np.arange(offset, offset + n, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
    with np.errstate(over="ignore"):
        z = _mix(keys[:, None] + slots[None, :])
    return ((z >> _S11).astype(np.float64) + 0.5) * _TO_UNIT


def normal(roots, decision: str, year: int, n: int, offset: int = 0) -> np.ndarray:
    return ndtri(uniform(roots, decision, year, n, offset))


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray, exact_below: float = 30.0) -> np.ndarray:
    """Poisson counts by inversion of `u` (exact for lam < exact_below, normal beyond)."""
    lam = np.broadcast_to(np.asarray(lam, np.float64), u.shape)
    out = np.zeros(u.shape, np.int64)
    p = np.exp(-lam)
    need = (u > p) & (lam < exact_below)  # count >= 1: only these need the loop
    idx = np.flatnonzero(need)
    if idx.size:
        uu, ll = u.ravel()[idx], lam.ravel()[idx]
        pk = np.exp(-ll)
        cdf = pk.copy()
        k = np.zeros(idx.size, np.int64)
        active = np.arange(idx.size)
        j = 0
        while active.size:
            j += 1
            pk[active] *= ll[active] / j
            cdf[active] += pk[active]
            k[active] = j
            active = active[uu[active] > cdf[active]]
        out.ravel()[idx] = k
    big = lam >= exact_below
    if big.any():
        out[big] = np.maximum(0, np.floor(lam[big] + np.sqrt(lam[big]) * ndtri(u[big]) + 0.5))
    return out


class Streams:
    """The year's streams for a batch of runs: `u(decision, n)` gives that decision's uniforms."""

    def __init__(self, roots: np.ndarray, year: int) -> None:
        self.roots, self.year = np.asarray(roots, np.uint64), year

    def u(self, decision: str, n: int, offset: int = 0) -> np.ndarray:
        return uniform(self.roots, decision, self.year, n, offset)

    def z(self, decision: str, n: int, offset: int = 0) -> np.ndarray:
        return ndtri(self.u(decision, n, offset))
