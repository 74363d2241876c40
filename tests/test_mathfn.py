"""model.mathfn: accurate, the same in NumPy and in kernels, and plain IEEE arithmetic."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numba as nb
import numpy as np
import pytest

from model import mathfn as mf

RNG = np.random.default_rng(20240614)
EDGE_X = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-20, -1e-20, 0.5,
          1.0, -1.0, 2.0, 0.6931471805599453, 708.0, -708.0, 708.3964185322641,
          709.782712893384, 709.7827128933841, 710.0, -745.1332191019411, -745.1332191019412,
          -745.2, -746.0, -708.3964185322641, -709.0893582323, 1e308, -1e308, math.inf,
          -math.inf, math.nan]
EDGE_LOG = [5e-324, 1e-310, 2.2250738585072014e-308, 1e-300, 0.5, 0.6875, 0.99999999,
            1.0 - 2.0 ** -53, 1.0, 1.0 + 2.0 ** -52, 1.0000001, 1.375, 2.0, 1e300,
            1.7976931348622157e308, 0.0, -0.0, -1.0, -5e-324, math.inf, -math.inf, math.nan]


def _ulps(a, b) -> np.ndarray:
    """Distance in units in the last place (0 for equal, or for NaN and NaN)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ia, ib = a.view(np.int64), b.view(np.int64)
    ia = np.where(ia < 0, np.int64(-(2 ** 63)) - ia, ia)  # monotone order of the doubles
    ib = np.where(ib < 0, np.int64(-(2 ** 63)) - ib, ib)
    both_nan = np.isnan(a) & np.isnan(b)
    return np.where(both_nan, 0, np.abs(ia - ib))


def _libm(f, *args):
    try:
        return f(*args)
    except OverflowError:
        return math.inf
    except ValueError:  # math's domain errors; IEEE gives NaN, or -inf for log(0)
        return -math.inf if f is math.log and args[0] == 0.0 else math.nan


def _exp_sample():
    return np.concatenate([RNG.uniform(-745.5, 710.0, 200_000), RNG.uniform(-1.0, 1.0, 50_000),
                           RNG.normal(0.0, 1e-6, 5_000), EDGE_X])


def _log_sample():
    return np.concatenate([np.exp(RNG.uniform(-744.0, 709.0, 200_000)),
                           RNG.uniform(0.5, 2.0, 50_000), 1.0 + RNG.normal(0.0, 1e-4, 20_000),
                           RNG.uniform(0.0, 2.3e-308, 5_000), EDGE_LOG])


def _pow_sample():
    x = np.concatenate([RNG.uniform(0.5, 1.5, 50_000), np.exp(RNG.uniform(-30, 30, 50_000))])
    y = np.concatenate([RNG.uniform(-3.0, 3.0, 50_000), RNG.uniform(-20.0, 20.0, 50_000)])
    wide = RNG.uniform(-740.0, 705.0, 20_000) / np.log(np.concatenate([x[:20_000]]) + 1e-3)
    return np.concatenate([x, x[:20_000] + 1e-3]), np.concatenate([y, wide])


@pytest.mark.parametrize("name, sample", [("exp", _exp_sample), ("log", _log_sample)])
def test_within_one_ulp_of_the_c_library(name, sample):
    x = sample()
    with np.errstate(over="ignore"):
        ours = getattr(mf, name)(x)
    ref = np.array([_libm(getattr(math, name), v) for v in x])
    d = _ulps(ours, ref)
    assert d.max() <= 1, x[d > 1][:5]
    assert (d > 0).mean() < 0.01  # both nearly correctly rounded: they rarely part


def test_power_within_one_ulp_of_the_c_library():
    x, y = _pow_sample()
    ours = mf.power(x, y)
    d = _ulps(ours, [_libm(math.pow, a, b) for a, b in zip(x, y, strict=True)])
    assert d.max() <= 1 and (d > 0).mean() < 0.01


def _ulp_error(got: float, exact: Decimal) -> float:
    e = math.frexp(float(exact))[1]
    return float(abs(Decimal(got) - exact) / (Decimal(2) ** max(e - 53, -1074)))


def test_close_to_correctly_rounded():
    """Against results exact to 40 digits: at most about half an ulp (0.5 is the best any
    function can do), subnormal results included."""
    with localcontext() as ctx:
        ctx.prec = 40
        xs = np.concatenate([RNG.uniform(-745.1, 709.7, 2_000), RNG.uniform(-745.1, -708, 300)])
        assert max(_ulp_error(mf.exp1(v), Decimal(v).exp()) for v in xs) < 0.51
        xs = np.concatenate([np.exp(RNG.uniform(-700, 700, 2_000)), 1 + RNG.normal(0, 1e-3, 500)])
        assert max(_ulp_error(mf.log1(v), Decimal(v).ln()) for v in xs) < 0.51
        xs, ys = RNG.uniform(0.2, 3.0, 2_000), RNG.uniform(-40.0, 40.0, 2_000)
        assert max(_ulp_error(mf.power1(a, b), (Decimal(b) * Decimal(a).ln()).exp())
                   for a, b in zip(xs, ys, strict=True)) < 0.51


def test_edge_cases():
    with np.errstate(all="ignore"):
        for x in EDGE_X:
            assert _ulps(mf.exp1(x), _libm(math.exp, x)) <= 1, x
        for x in EDGE_LOG:
            assert _ulps(mf.log1(x), _libm(math.log, x)) <= 1, x
    assert mf.exp1(0.0) == 1.0 and mf.log1(1.0) == 0.0 and mf.power1(1.0, 7.5) == 1.0
    assert mf.exp1(709.7827128933841) == math.inf and mf.exp1(-745.1332191019412) == 0.0
    assert mf.exp1(-745.1332191019411) == 5e-324
    assert mf.log1(-0.0) == -math.inf and math.isnan(mf.log1(-1e-300))


def test_power_special_cases_are_ieee():
    """Zeros, infinities, NaN, negative bases (C99 Annex F, as np.power): values and signs."""
    v = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 5e-324, 1e300, -1e300,
         math.inf, -math.inf, math.nan]
    x, y = (a.ravel() for a in np.meshgrid(v, v + [2.5, -2.5, 1e20, -1e20, 2.0 ** 53 + 2]))
    with np.errstate(all="ignore"):
        ours, ref = mf.power(x, y), np.power(x, y)
    assert (_ulps(ours, ref) <= 1).all()
    num = ~np.isnan(ref)  # a NaN's sign means nothing
    assert np.array_equal(np.signbit(ours[num]), np.signbit(ref[num]))


def test_arrays_and_scalars_give_the_same_bits():
    with np.errstate(all="ignore"):
        for name, x in (("exp", _exp_sample()[::50]), ("log", _log_sample()[::50])):
            arr = getattr(mf, name)(x)
            one = np.array([getattr(mf, name + "1")(v) for v in x])
            assert np.array_equal(arr.view(np.int64), one.view(np.int64)), name
        x, y = (a[::50] for a in _pow_sample())
        one = np.array([mf.power1(a, b) for a, b in zip(x, y, strict=True)])
        assert np.array_equal(mf.power(x, y).view(np.int64), one.view(np.int64))
    # broadcasting and Python scalars, as the reference calls them
    assert mf.power(np.array([[1.1], [0.9]]), -1.3).shape == (2, 1)
    assert mf.exp(0.5) == mf.exp1(0.5) and isinstance(mf.log(2.0), float)


def test_compiled_code_is_the_plain_python_arithmetic():
    """The compiled functions give the bits of the same code run by Python, operation by
    operation (no fused multiply-add, no reassociation)."""
    x = np.concatenate([_exp_sample()[::100], EDGE_X])
    xl = np.concatenate([_log_sample()[::100], EDGE_LOG])
    xp, yp = (a[::50] for a in _pow_sample())
    with np.errstate(all="ignore"):
        for f, args in ((mf.exp1, (x,)), (mf.log1, (xl,)), (mf.power1, (xp, yp))):
            jit = np.array([f(*a) for a in zip(*args, strict=True)])
            py = np.array([f.py_func(*map(float, a)) for a in zip(*args, strict=True)])
            assert np.array_equal(jit.view(np.int64), py.view(np.int64)), f


@nb.njit
def _all_three(x, y):
    out = np.empty(x.size)
    for i in range(x.size):
        out[i] = mf.exp1(x[i]) + mf.log1(y[i]) + mf.power1(y[i], x[i])
    return out


def test_no_fused_multiply_add_and_no_libm_call_in_the_machine_code():
    x = np.array([0.5, -1.0])
    _all_three(x, np.abs(x) + 1.0)
    asm = "\n".join(_all_three.inspect_asm().values()).lower()
    assert not any(op in asm for op in ("vfmadd", "vfmsub", "vfnmadd", "vfnmsub"))
    for sym in ("exp", "log", "pow"):
        assert f"call\t{sym}@" not in asm and f"callq\t{sym}@" not in asm
