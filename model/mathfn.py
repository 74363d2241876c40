"""exp, log and power: one implementation for the NumPy reference and the numba kernels.

Why our own: NumPy picks its exp/log/pow by CPU (its own AVX-512 code where the CPU has it,
the C library's elsewhere), numba's kernels call the C library (or Intel SVML when installed),
and glibc itself picks an FMA or a non-FMA variant by CPU. These differ in the last bit on a
few inputs in a hundred, and one ulp can flip a threshold and part two trajectories. So both
engines call the functions below, written in plain IEEE double arithmetic (+ - * /, no fused
multiply-add, no fast-math) and integer bit operations, whose result is a function of the
input alone, on any CPU. The only other such implementations we found are not callable from
numba kernels (crlibm's Python binding, last released 2016, wraps C for Python floats only)
or not in double precision, hence a module of our own.

Method: the table-driven algorithms of P. T. P. Tang, "Table-driven implementation of the
exponential function in IEEE floating-point arithmetic", ACM TOMS 15(2), 1989, and "...of
the logarithm function...", ACM TOMS 16(4), 1990 (also J.-M. Muller, "Elementary Functions",
3rd ed., 2016, ch. 6), with Taylor polynomials in place of minimax ones so that every
constant is derived here, at import, from exact decimal arithmetic (`_tables`), not copied.
Accuracy (tests/test_mathfn.py): within 1 ulp of a correctly rounded result, about 0.5 ulp
in practice; subnormal results are rounded once.

- exp(x) = 2^e · 2^(j/128) · exp(r), |r| <= ln2/256; 2^(j/128) as a double-double table.
- log(x) = k·ln2 + log(c) + log1p(r), r = x/(2^k c) - 1 computed exactly (c's inverse has
  32 bits, x's top 21 bits times it is exact); c = 1 on the two intervals around 1, so
  log(1 + tiny) loses nothing.
- power(x, y) = exp(y·log x), with log x to about 2^-66 (double-double) and y·log x formed
  exactly (Dekker's product), so |y·log x| up to 745 still gives about 0.5 ulp.

`exp`, `log` and `power` are NumPy ufuncs (numba `vectorize`) for the reference; kernels call
the same scalar functions as `exp1`, `log1`, `power1`. Everything is inlined, the rare cases
too: a call to another compiled function inside a kernel's loop stops numba from pruning the
reference counts of the kernel's arrays (two atomic operations per array and iteration made
the 2020 population kernel half as slow again). A change here changes the numba cache keys of
this file only: delete model/**/__pycache__ after editing it.
"""

from __future__ import annotations

import math
import struct
from decimal import Decimal, localcontext

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic, overload


# -- bits of a double, in Python and in numba ------------------------------------------------
def bits(x: float) -> int:
    """The IEEE bit pattern of x as a signed 64-bit integer."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def from_bits(i: int) -> float:
    """The double whose bit pattern is the signed 64-bit integer i."""
    return struct.unpack("<d", struct.pack("<q", i))[0]


@intrinsic
def _bitcast_f2i(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _bitcast_i2f(typingctx, i):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@overload(bits, inline="always")
def _bits_nb(x):
    return lambda x: _bitcast_f2i(np.float64(x))


@overload(from_bits, inline="always")
def _from_bits_nb(i):
    return lambda i: _bitcast_i2f(np.int64(i))


# -- constants and tables, from exact decimal arithmetic ---------------------------------------
_EXP_BITS = 7  # exp's table: 2^(j/128)
_LOG_BITS = 8  # log's table: 256 intervals of [0.6875, 1.375)
_LOG_OFF = 0x3FE6000000000000  # bits of 0.6875: log reduces x to 2^k z, z in [0.6875, 1.375)


def _round_to(d: Decimal, frac_bits: int) -> float:
    """d rounded to a multiple of 2^-frac_bits (exactly representable for our magnitudes)."""
    q = (d * (Decimal(2) ** frac_bits)).to_integral_value()
    return float(q) / float(2 ** frac_bits)


def _trunc_bits(x: float, sig_bits: int) -> float:
    """x with its significand cut to `sig_bits` bits (toward zero)."""
    drop = 53 - sig_bits
    return from_bits(bits(x) & -(1 << drop))


def _tables() -> dict:
    with localcontext() as ctx:
        ctx.prec = 60
        ln2 = Decimal(2).ln()
        n_exp = 1 << _EXP_BITS
        c = {"INV_LN2_N": float(n_exp / ln2)}
        # k·LN2_HI_N exact for |k| < 2^18 (exp's k never exceeds 1075·128 < 2^18)
        c["LN2_HI_N"] = _trunc_bits(float(ln2 / n_exp), 35)
        c["LN2_LO_N"] = float(ln2 / n_exp - Decimal(c["LN2_HI_N"]))
        t = [(Decimal(j) * ln2 / n_exp).exp() for j in range(n_exp)]
        c["T_HI"] = np.array([float(v) for v in t])
        c["T_LO"] = np.array([float(v - Decimal(float(v))) for v in t])
        # log: k·LN2_HI + LOGC_HI exact (both multiples of 2^-43, |sum| < 2^10)
        c["LN2_HI"] = _round_to(ln2, 43)
        c["LN2_LO"] = float(ln2 - Decimal(c["LN2_HI"]))
        n_log = 1 << _LOG_BITS
        invc, logc_hi, logc_lo = [], [], []
        z0 = from_bits(_LOG_OFF)
        for i in range(n_log):
            below = i < (n_log * 5) // 8  # intervals of 2^-9 below 1, of 2^-8 above
            width = math.ldexp(1.0, -9 if below else -8)
            lo = z0 + i * width if below else 1.0 + (i - (n_log * 5) // 8) * width
            if lo == 1.0 or lo + width == 1.0:
                v = 1.0  # around 1: r = z - 1 exactly, and log(c) = 0
            else:
                v = _trunc_bits(1.0 / (lo + width / 2), 32)  # 32 bits: zhi·invc is exact
            lc = -Decimal(v).ln() if v != 1.0 else Decimal(0)
            invc.append(v)
            logc_hi.append(_round_to(lc, 43))
            logc_lo.append(float(lc - Decimal(logc_hi[-1])))
        c["INVC"], c["LOGC_HI"], c["LOGC_LO"] = (np.array(a) for a in (invc, logc_hi, logc_lo))
        return c


_C = _tables()
INV_LN2_N, LN2_HI_N, LN2_LO_N = _C["INV_LN2_N"], _C["LN2_HI_N"], _C["LN2_LO_N"]
T_HI, T_LO = _C["T_HI"], _C["T_LO"]
LN2_HI, LN2_LO = _C["LN2_HI"], _C["LN2_LO"]
INVC, LOGC_HI, LOGC_LO = _C["INVC"], _C["LOGC_HI"], _C["LOGC_LO"]
_SHIFT = float(3 << 51)  # (z + 1.5·2^52) - 1.5·2^52 rounds z to an integer, |z| < 2^51
_SPLIT = float((1 << 27) + 1)  # Veltkamp's splitter: a double into two 26-bit halves
_INF = float("inf")
_NAN = float("nan")
# Taylor coefficients, each the double nearest 1/n! (exp) or ±1/n (log1p)
E3, E4, E5 = 1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0
L3, L4, L5, L6, L7, L8 = 1.0 / 3.0, -1.0 / 4.0, 1.0 / 5.0, -1.0 / 6.0, 1.0 / 7.0, -1.0 / 8.0
# overflow and underflow: exp(x) > DBL_MAX above ln(DBL_MAX) = 709.78..., < 2^-1075 below
# ln(2^-1075) = -745.13...; between these and |x| = 708 results take the careful path
_EXP_OVER, _EXP_UNDER, _EXP_SAFE = 709.79, -745.2, 708.0
_TWO52 = float(1 << 52)
_MIN_NORMAL = 0x0010000000000000  # bits of 2^-1022
_EXP_MASK = 0x7FF0000000000000  # bits of +inf


# -- exp ---------------------------------------------------------------------------------------
@nb.njit(cache=True, inline="always")
def _exp_parts(x, xt):
    """exp(x + xt) = (t + lo) · 2^e, for |x| <= 745.2 and |xt| tiny beside x."""
    z = x * INV_LN2_N
    kd = (z + _SHIFT) - _SHIFT  # the integer nearest z
    k = int(kd)
    r = ((x - kd * LN2_HI_N) - kd * LN2_LO_N) + xt  # x - kd·ln2/128 (the first product exact)
    j = k & 127
    e = k >> 7
    r2 = r * r
    p = r + r2 * ((0.5 + r * E3) + r2 * (E4 + r * E5))  # exp(r) - 1, error < r^6/720
    t = T_HI[j]
    return t, T_LO[j] + t * p, e


@nb.njit(cache=True, inline="always")
def _exp_edge(x, xt):
    """exp(x + xt) where it may overflow or be subnormal, or for NaN."""
    if x != x:
        return x
    if x > _EXP_OVER:
        return _INF
    if x < _EXP_UNDER:
        return 0.0
    t, lo, e = _exp_parts(x, xt)
    if e > 1020:  # scale in two exact steps, the second may overflow
        return ((t + lo) * from_bits((e - 3 + 1023) << 52)) * 8.0
    if e >= -1021:
        return (t + lo) * from_bits((e + 1023) << 52)
    s = from_bits((e + 1022 + 1023) << 52)  # 2^(e + 1022): the result in units of 2^-1022
    hi, lo = t * s, lo * s
    y = hi + lo
    if y >= 1.0:
        return y * from_bits(_MIN_NORMAL)
    # subnormal: round hi + lo once, on the grid of 2^-52 units of [1, 2)
    a = 1.0 + hi
    ea = (1.0 - a) + hi
    v = a + (ea + lo)
    return (v - 1.0) * from_bits(_MIN_NORMAL)


@nb.njit(cache=True, inline="always")
def exp1(x):
    """e^x for a float (scalar, for kernels)."""
    if abs(x) < _EXP_SAFE:
        t, lo, e = _exp_parts(x, 0.0)
        return (t + lo) * from_bits((e + 1023) << 52)
    return _exp_edge(x, 0.0)


# -- log ---------------------------------------------------------------------------------------
@nb.njit(cache=True, inline="always")
def _log_reduce(ix, kbias):
    """x = 2^k · z (bits ix of a positive normal x) and z = 1/invc · (1 + r), r = rhi + rlo.

    Returns (hi, lo, rhi, rlo): log(2^k / invc) as hi (exact) + lo, and r as rhi (exact)
    + rlo (rounded: |rlo| < 2^-20, error < 2^-73)."""
    tmp = ix - _LOG_OFF
    i = (tmp >> (52 - _LOG_BITS)) & ((1 << _LOG_BITS) - 1)
    k = (tmp >> 52) + kbias
    z = from_bits(ix - ((tmp >> 52) << 52))
    zhi = from_bits((bits(z) + (1 << 31)) & -(1 << 32))  # z's top 21 bits
    zlo = z - zhi
    invc = INVC[i]
    rhi = zhi * invc - 1.0  # 21 x 32 bits: exact; then exact by Sterbenz's lemma
    rlo = zlo * invc
    kd = float(k)
    return kd * LN2_HI + LOGC_HI[i], kd * LN2_LO + LOGC_LO[i], rhi, rlo


@nb.njit(cache=True, inline="always")
def _log_core(ix, kbias):
    hi, lo, rhi, rlo = _log_reduce(ix, kbias)
    r = rhi + rlo  # exact where invc = 1 (z - 1)
    rerr = (rhi - r) + rlo
    s = hi + r
    t = (hi - s) + r  # exact: hi = 0 (then s = r) or |hi| > |r|
    r2 = r * r
    p = r2 * ((-0.5 + r * L3) + r2 * ((L4 + r * L5) + r2 * (L6 + r * L7)))  # error < r^8/8
    return s + (((t + rerr) + lo) + p)


@nb.njit(cache=True, inline="always")
def _log_edge(x):
    """log x for x <= 0, subnormal, infinite or NaN."""
    if x != x:
        return x
    if x < 0.0:
        return _NAN
    if x == 0.0:
        return -_INF
    if x == _INF:
        return x
    return _log_core(bits(x * _TWO52), -52)  # subnormal: scaled exactly into the normal range


@nb.njit(cache=True, inline="always")
def log1(x):
    """Natural logarithm of a float (scalar, for kernels)."""
    ix = bits(x)
    if ix < _MIN_NORMAL or ix >= _EXP_MASK:
        return _log_edge(x)
    return _log_core(ix, 0)


# -- power -------------------------------------------------------------------------------------
@nb.njit(cache=True, inline="always")
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@nb.njit(cache=True, inline="always")
def _split(a):
    c = _SPLIT * a
    h = c - (c - a)
    return h, a - h


@nb.njit(cache=True, inline="always")
def _two_prod(a, b):
    """a·b = p + e exactly (Dekker), with no fused multiply-add."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@nb.njit(cache=True, inline="always")
def _log_dd(ix, kbias):
    """log x as hi + lo, relative error about 2^-66 (x positive normal, bits ix)."""
    hi, lo, rhi, rlo = _log_reduce(ix, kbias)
    r, rerr = _two_sum(rhi, rlo)  # r + rerr = rhi + rlo exactly
    q, qe = _two_prod(r, r)
    s1, e1 = _two_sum(hi, r)
    s2, e2 = _two_sum(s1, -0.5 * q)
    r2 = r * r
    p3 = r * r2 * ((L3 + r * L4) + r2 * ((L5 + r * L6) + r2 * (L7 + r * L8)))
    tail = ((e1 + e2) + (rerr + lo)) + ((p3 - 0.5 * qe) - r * rerr)
    h = s2 + tail
    return h, (s2 - h) + tail


@nb.njit(cache=True, inline="always")
def _power_edge(x, y):
    """x^y for every case the fast path leaves: zeros, infinities, NaN, x < 0, subnormal x,
    y = 0, |y| < 2^-64 or |y| >= 2^63 (C99 Annex F, as NumPy's power and math.pow)."""
    if y == 0.0 or x == 1.0:
        return 1.0
    if x != x or y != y:
        return x + y
    ax = abs(x)
    if abs(y) == _INF:
        if ax == 1.0:
            return 1.0
        return _INF if (ax < 1.0) == (y < 0.0) else 0.0
    y_int = np.floor(y) == y
    y_odd = y_int and abs(y) < _TWO52 and (int(y) & 1) == 1
    if x == 0.0:
        if y < 0.0:
            return math.copysign(_INF, x) if y_odd else _INF
        return x if y_odd else 0.0
    if ax == _INF:
        if y < 0.0:
            return -0.0 if (x < 0.0 and y_odd) else 0.0
        return x if y_odd else _INF
    sign = 1.0
    if x < 0.0:
        if not y_int:
            return _NAN
        if y_odd:
            sign = -1.0
    if abs(y) >= 9.223372036854775808e18:  # 2^63: |y log x| > 745 unless |x| = 1
        if ax == 1.0:
            return sign
        return sign * (_INF if (ax > 1.0) == (y > 0.0) else 0.0)
    ix = bits(ax)
    kbias = 0
    if ix < _MIN_NORMAL:
        ix, kbias = bits(ax * _TWO52), -52
    return sign * _pow_pos(ix, kbias, y)


@nb.njit(cache=True, inline="always")
def _pow_pos(ix, kbias, y):
    """x^y for x > 0 (normal, bits ix, times 2^kbias) and 0 < |y| < 2^63."""
    lh, ll = _log_dd(ix, kbias)
    eh, el = _two_prod(y, lh)
    el = el + y * ll
    if abs(eh) < _EXP_SAFE:
        t, lo, e = _exp_parts(eh, el)
        return (t + lo) * from_bits((e + 1023) << 52)
    return _exp_edge(eh, el)


@nb.njit(cache=True, inline="always")
def power1(x, y):
    """x ** y for floats (scalar, for kernels)."""
    ix = bits(x)
    ey = (bits(y) >> 52) & 0x7FF
    if ix >= _MIN_NORMAL and ix < _EXP_MASK and ey >= 1023 - 64 and ey < 1023 + 63:
        return _pow_pos(ix, 0, y)
    return _power_edge(x, y)


# -- the ufuncs the NumPy reference calls ------------------------------------------------------
@nb.vectorize(["float64(float64)"], cache=True)
def exp(x):
    """e^x elementwise (a NumPy ufunc): `exp1` on every element."""
    return exp1(x)


@nb.vectorize(["float64(float64)"], cache=True)
def log(x):
    """Natural logarithm elementwise (a NumPy ufunc): `log1` on every element."""
    return log1(x)


@nb.vectorize(["float64(float64, float64)"], cache=True)
def power(x, y):
    """x ** y elementwise, broadcasting (a NumPy ufunc): `power1` on every pair."""
    return power1(x, y)


__all__ = ["exp", "exp1", "log", "log1", "power", "power1"]
