"""Numba helpers that reproduce NumPy's arithmetic exactly, so compiled kernels give the same
bits as the NumPy reference (model.behaviour, model.policy.dense).

NumPy sums a contiguous row by pairwise summation (numpy/_core/src/umath/loops_utils.h.src,
`pairwise_sum`): eight accumulators over blocks of up to 128 values, split in halves above
that. A plain loop adds in another order and differs in the last bits.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_PW_BLOCKSIZE = 128


@nb.njit(cache=True, inline="always")
def _block_sum(a, lo, n):
    """NumPy's sum of up to 128 values: eight accumulators, then the remainder."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@nb.njit(cache=True)
def _pairwise_stack(a, lo, n):
    """Sum of a[lo:lo + n] in NumPy's order, for rows of any length.

    NumPy recurses: sum(first half) + sum(second half), the half rounded down to a multiple
    of 8, down to blocks of at most 128. Done here with an explicit stack (numba's cache
    does not keep recursive functions)."""
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    # frames: [lo, n, stage]; stage 0 = left half pending, 1 = right half pending
    s_lo = np.empty(64, np.int64)
    s_n = np.empty(64, np.int64)
    s_stage = np.empty(64, np.int64)
    s_left = np.empty(64)
    sp = 0
    s_lo[0], s_n[0], s_stage[0] = lo, n, 0
    sp = 1
    ret = 0.0
    have = False  # `ret` holds a finished child's sum for the frame on top
    while sp > 0:
        t = sp - 1
        if have:
            if s_stage[t] == 0:
                s_left[t] = ret
                s_stage[t] = 1
                have = False
            else:
                ret = s_left[t] + ret
                sp -= 1
                continue
        half = s_n[t] // 2
        half -= half % 8
        c_lo = s_lo[t] if s_stage[t] == 0 else s_lo[t] + half
        c_n = half if s_stage[t] == 0 else s_n[t] - half
        if c_n <= _PW_BLOCKSIZE:
            ret = _block_sum(a, c_lo, c_n)
            have = True
        else:
            s_lo[sp], s_n[sp], s_stage[sp] = c_lo, c_n, 0
            sp += 1
    return ret


# The same recursion, one function per level, without allocating: a stack per call costs
# more than a short row's sum. Exact without allocation up to about 4,000 values per row;
# longer rows go to the stack version.
@nb.njit(cache=True)
def _pw0(a, lo, n):
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    return _pairwise_stack(a, lo, n)  # deeper than the levels below


@nb.njit(cache=True)
def _pw1(a, lo, n):
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    return _pw0(a, lo, half) + _pw0(a, lo + half, n - half)


@nb.njit(cache=True)
def _pw2(a, lo, n):
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    return _pw1(a, lo, half) + _pw1(a, lo + half, n - half)


@nb.njit(cache=True)
def _pw3(a, lo, n):
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    return _pw2(a, lo, half) + _pw2(a, lo + half, n - half)


@nb.njit(cache=True)
def _pw4(a, lo, n):
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    return _pw3(a, lo, half) + _pw3(a, lo + half, n - half)


@nb.njit(cache=True)
def pairwise_sum(a, lo, n):
    """Sum of a[lo:lo + n] in NumPy's order (a 1-D float64 array): `x.sum()` bit for bit."""
    if n <= _PW_BLOCKSIZE:
        return _block_sum(a, lo, n)
    half = n // 2
    half -= half % 8
    return _pw4(a, lo, half) + _pw4(a, lo + half, n - half)


@nb.njit(cache=True)
def row_sums(x):
    """x.sum(1) for a 2-D float64 array, bit for bit."""
    out = np.empty(x.shape[0])
    for b in range(x.shape[0]):
        out[b] = pairwise_sum(x[b], 0, x.shape[1])
    return out


@nb.njit(cache=True, inline="always")
def searchsorted_left(edges, v):
    """np.searchsorted(edges, v, side="left") for one value: how many edges lie below v (the
    leading run of edges[k] < v, so a NaN stops it). Without an early exit: its branch, on a
    random v, is mispredicted more often than the few extra comparisons cost."""
    k = 0
    below = True
    for j in range(edges.size):
        below &= edges[j] < v
        k += below
    return k
