"""Common random numbers, done as Starsim does: one stream per (root seed, decision, year).

A draw is a counter-based hash of (stream key, agent slot), so one firm's draw never depends
on who else drew, on how many agents there are, or on the batch it runs in. A policy change
that alters no decision leaves every draw, and so every output, bit-identical.

The hash (SplitMix64's finaliser) and the normal quantile (Wichura's AS241) run as numba
kernels; `uniform_reference` is the plain NumPy statement of the same hash, which the tests
hold the kernel to, bit for bit.
"""

from __future__ import annotations

import functools
import math
import zlib

import numba as nb
import numpy as np

from model.mathfn import exp1, log1

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = math.ldexp(1.0, -53)


# -- the NumPy reference ----------------------------------------------------------------------
def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele, Lea and Flood 2014), in place on uint64 arrays."""
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= _M1
        z ^= z >> np.uint64(27)
        z *= _M2
        z ^= z >> np.uint64(31)
    return z


@functools.lru_cache(maxsize=4096)  # a few dozen decisions × years, asked for every year
def _tag(decision: str, year: int) -> np.uint64:
    return np.uint64((zlib.crc32(decision.encode()) << 16) ^ (year & 0xFFFF))


def stream_keys_reference(roots: np.ndarray, decision: str, year: int) -> np.ndarray:
    """Keys (B,) of the stream for `decision` in `year`, one per run."""
    return _mix(np.asarray(roots, np.uint64) ^ _mix(np.array([_tag(decision, year)], np.uint64)))


def uniform_reference(roots, decision: str, year: int, n: int, offset: int = 0) -> np.ndarray:
    """Uniforms in (0, 1), shape (B, n): slot i of run b gets hash(key_b, offset + i)."""
    keys = stream_keys_reference(roots, decision, year)
    slots = (np.arange(offset, offset + n, dtype=np.uint64) + np.uint64(1)) * _GOLDEN
    with np.errstate(over="ignore"):
        z = _mix(keys[:, None] + slots[None, :])
    return ((z >> np.uint64(11)).astype(np.float64) + 0.5) * _TO_UNIT


# -- kernels ------------------------------------------------------------------------------
@nb.njit(cache=True, inline="always")
def _hash_unit(key, slot):
    x = key + (np.uint64(slot) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return (np.float64(x >> np.uint64(11)) + 0.5) * 1.1102230246251565e-16


@nb.njit(cache=True, inline="always")
def _ndtri(p):
    """Normal quantile, Wichura (1988) AS241 PPND16: relative accuracy about 1e-16."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * (((((((2509.0809287301226727 * r + 33430.575583588128105) * r
                          + 67265.770927008700853) * r + 45921.953931549871457) * r
                        + 13731.693765509461125) * r + 1971.5909503065514427) * r
                      + 133.14166789178437745) * r + 3.387132872796366608) / (
            ((((((5226.495278852545925 * r + 28729.085735721942674) * r
                 + 39307.89580009271061) * r + 21213.794301586595867) * r
               + 5394.1960214247511077) * r + 687.1870074920579083) * r
             + 42.313330701600911252) * r + 1.0)
    r = p if q < 0 else 1.0 - p
    r = np.sqrt(-log1(r))
    if r <= 5.0:
        r -= 1.6
        val = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734) / (
            ((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                 + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
               + 0.68976733498510000455) * r + 1.6763848301838038494) * r
             + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772) / (
            ((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                 + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
               + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
             + 0.59983220655588793769) * r + 1.0)
    return -val if q < 0 else val


@nb.njit(cache=True)
def _uniform_kernel(keys, n, offset, normal):
    out = np.empty((keys.size, n))
    for b in range(keys.size):
        k = keys[b]
        for i in range(n):
            u = _hash_unit(k, offset + i)
            out[b, i] = _ndtri(u) if normal else u
    return out


@nb.njit(cache=True)
def ndtri(p: np.ndarray) -> np.ndarray:
    out = np.empty_like(p)
    flat, res = p.ravel(), out.ravel()
    for i in range(flat.size):
        res[i] = _ndtri(flat[i])
    return out


@nb.njit(cache=True, inline="always")
def _poisson_one(u, lm, exact_below):
    """Poisson count by inversion of u: exact below `exact_below`, normal beyond."""
    if lm <= 0.0 or u <= 1.0 - lm:  # u <= 1 - lam <= exp(-lam): no event, no exp needed
        return 0
    if lm >= exact_below:
        v = np.floor(lm + np.sqrt(lm) * _ndtri(u) + 0.5)
        return max(0, np.int64(v))
    pk = exp1(-lm)
    cdf = pk
    k = 0
    while u > cdf:
        k += 1
        pk *= lm / k
        cdf += pk
        if pk == 0.0 and cdf < u:  # rounding: cdf stalled below u
            break
    return k


@nb.njit(cache=True)
def _poisson_kernel(u, lam, exact_below):
    out = np.zeros(u.shape, np.int64)
    uf, lf, of = u.ravel(), lam.ravel(), out.ravel()
    for i in range(uf.size):
        of[i] = _poisson_one(uf[i], lf[i], exact_below)
    return out


@nb.njit(cache=True, inline="always")
def _mix1(x):
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@nb.njit(cache=True)
def _keys_kernel(roots, tag):
    out = np.empty_like(roots)
    t = _mix1(tag)
    for b in range(roots.size):
        out[b] = _mix1(roots[b] ^ t)
    return out


@nb.njit(cache=True)
def _keys_table(roots, tags):
    out = np.empty((tags.size, roots.size), np.uint64)
    for k in range(tags.size):
        out[k] = _keys_kernel(roots, tags[k])
    return out


# -- the interface --------------------------------------------------------------------------
def stream_keys(roots: np.ndarray, decision: str, year: int) -> np.ndarray:
    """Keys (B,) of the stream for `decision` in `year`; equal to `stream_keys_reference`."""
    return _keys_kernel(np.ascontiguousarray(roots, np.uint64), _tag(decision, year))


def stream_key_table(roots: np.ndarray, decisions, year: int) -> np.ndarray:
    """Keys (K, B) of K decisions' streams in `year`: row k is `stream_keys(roots, d_k, year)`;
    the kernels take their draws' keys this way."""
    return _keys_table(np.ascontiguousarray(roots, np.uint64), _tags(tuple(decisions), year))


@functools.lru_cache(maxsize=1024)
def _tags(decisions: tuple[str, ...], year: int) -> np.ndarray:
    out = np.array([_tag(d, year) for d in decisions], np.uint64)
    out.flags.writeable = False  # shared by every call that asks for the same streams
    return out


def root_key(rng: np.random.Generator) -> np.uint64:
    """The run's root key, drawn once from the run's own generator."""
    return np.uint64(rng.integers(0, 2**63, dtype=np.uint64))


def uniform(roots, decision: str, year: int, n: int, offset: int = 0) -> np.ndarray:
    """Uniforms in (0, 1), shape (B, n); equal bit for bit to `uniform_reference`."""
    return _uniform_kernel(stream_keys(roots, decision, year), n, offset, False)


def normal(roots, decision: str, year: int, n: int, offset: int = 0) -> np.ndarray:
    """Standard normals, shape (B, n): AS241 quantiles of the same uniforms."""
    return _uniform_kernel(stream_keys(roots, decision, year), n, offset, True)


POISSON_EXACT_BELOW = 30.0  # rates from which a Poisson draw uses the normal approximation


def poisson_from_uniform(u: np.ndarray, lam,
                         exact_below: float = POISSON_EXACT_BELOW) -> np.ndarray:
    """Poisson counts by inversion of `u` (exact for lam < exact_below, normal beyond)."""
    u = np.ascontiguousarray(u, np.float64)
    lam = np.ascontiguousarray(np.broadcast_to(np.asarray(lam, np.float64), u.shape))
    return _poisson_kernel(u, lam, exact_below)


class Streams:
    """The year's streams for a batch of runs: `u(decision, n)` gives that decision's uniforms."""

    def __init__(self, roots: np.ndarray, year: int) -> None:
        self.roots, self.year = np.asarray(roots, np.uint64), year

    def u(self, decision: str, n: int, offset: int = 0) -> np.ndarray:
        return uniform(self.roots, decision, self.year, n, offset)

    def z(self, decision: str, n: int, offset: int = 0) -> np.ndarray:
        return normal(self.roots, decision, self.year, n, offset)
