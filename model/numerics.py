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


@nb.njit(cache=True)
def pairwise_sum(a, lo, n):
    """Sum of a[lo:lo + n] in NumPy's order (a 1-D float64 array)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    if n <= _PW_BLOCKSIZE:
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
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, lo, n2) + pairwise_sum(a, lo + n2, n - n2)


@nb.njit(cache=True)
def row_sums(x):
    """x.sum(1) for a 2-D float64 array, bit for bit."""
    out = np.empty(x.shape[0])
    for b in range(x.shape[0]):
        out[b] = pairwise_sum(x[b], 0, x.shape[1])
    return out
