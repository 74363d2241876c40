"""Known-answer problems that stand in for the model: `parksim sensitivity --model NAME`.

Each is a function of three factors x1, x2, x3 ~ U(-π, π) with one output y, run exactly as a
study of the park model is run (design, seeds s(j, r), chunks, analysis), and the indices of
its mean response E[y | x] are Ishigami's (a = 7, b = 0.1; Ishigami & Homma 1990, values as
SALib's test function gives them): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.

- `ishigami`: f(x) = sin x1 + a sin² x2 + b x3⁴ sin x1, deterministic;
- `ishigami-noisy`: f(x) + 2ε, ε ~ N(0, 1) drawn from (root, x): independent from row to row,
  even inside a base point (no common-random-number gain: the hardest case);
- `ishigami-random-coef`: a ~ N(7, 2²), b ~ N(0.1, 0.069²) drawn from the root alone, so
  shared by every row of a base point on a replication (E[y | x] = f(x): a and b enter
  linearly); with one seed set for the whole design this freezes a and b into the function
  analysed, the failure the per-base-point seeds cure;
- `ishigami-binary`: 1{U < (f(x) + 10.75) / 28.5}, U ~ U(0, 1) drawn from the root alone (f
  lies in [-10.74, 17.74], so the probability is in (0, 1) and, a linear map of f, has f's
  indices). Very noisy (noise-to-signal ratio ρ ≈ 14).

Draws are counter-based (splitmix64 of the root, the row's factor values and a tag), vectorised,
so a million runs take a fraction of a second and depend only on the root and the row.

`analytic_evaluator(ctx, X, roots)` reads `ctx.options`: "function" (one of PROBLEMS, or
"zero": no signal), "noise_sd" (extra independent noise), and for tests of the plumbing
"fail_once_dir" (the first attempt at each chunk raises; a marker file per chunk records the
attempt) and "nan" (a NaN in the outputs).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from scipy.special import ndtri

from model.sensitivity.design import base_roots, make_design, mix64
from model.sensitivity.problem import Factor, build_problem

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)
PROBLEMS = ("ishigami", "ishigami-noisy", "ishigami-random-coef", "ishigami-binary")
NOISE_SD = 2.0  # ishigami-noisy: y = f + 2ε
COEF_SD = (2.0, 0.069)  # ishigami-random-coef: sd of a and b
BINARY_SHIFT, BINARY_SCALE = 10.75, 28.5  # ishigami-binary: P(y = 1) = (f + 10.75) / 28.5
FACTORS = ("x1", "x2", "x3")
OUTPUTS = ("y",)
RUNS_PER_CHUNK = 200_000  # a chunk of a test problem: its runs are vectorised arithmetic
DEFAULT_SEED = 1  # --seed of a test problem when none is given (it has no scenario)
_ULP53 = float.fromhex("0x1p-53")  # 2^-53: a 53-bit integer to a uniform in (0, 1)
_TAGS = {"noise": 0x6E6F697365, "a": 0x61, "b": 0x62, "u": 0x75}


def ishigami(X: np.ndarray, a=ISHIGAMI_A, b=ISHIGAMI_B) -> np.ndarray:
    """f(x) for rows of X (n, 3); a and b scalars or arrays broadcasting against (n,)."""
    s1 = np.sin(X[..., 0])
    s2, x3sq = np.sin(X[..., 1]), np.square(X[..., 2])
    return s1 + a * (s2 * s2) + b * (x3sq * x3sq) * s1


def _uniform(keys: np.ndarray) -> np.ndarray:
    """Uniforms in (0, 1) from uint64 keys: the top 53 bits, centred."""
    return ((keys >> np.uint64(11)).astype(np.float64) + 0.5) * _ULP53


def _row_hash(X: np.ndarray) -> np.ndarray:
    """(n,) uint64 hash of each row's float64 bits."""
    bits = np.ascontiguousarray(X, np.float64).view(np.uint64)
    h = np.zeros(X.shape[0], np.uint64)
    for k in range(bits.shape[1]):
        h = mix64(h ^ bits[:, k])
    return h


def draw(roots: np.ndarray, tag: str, rows: np.ndarray | None = None) -> np.ndarray:
    """Uniforms shaped like `roots` (n, R), from the root and (if given) the row's values."""
    with np.errstate(over="ignore"):
        k = np.asarray(roots, np.uint64) ^ np.uint64(_TAGS[tag])
        if rows is not None:
            k = k ^ _row_hash(rows)[:, None]
        return _uniform(mix64(mix64(k)))


def evaluate(name: str, X: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """(n, R) outputs of problem `name` at rows X (n, 3) on roots (n, R)."""
    x = np.asarray(X, np.float64)[:, None, :]  # (n, 1, 3) against (n, R)
    if name == "ishigami":
        return np.broadcast_to(ishigami(x), roots.shape).copy()
    if name == "ishigami-noisy":
        return ishigami(x) + NOISE_SD * ndtri(draw(roots, "noise", X))
    if name == "ishigami-random-coef":
        a = ISHIGAMI_A + COEF_SD[0] * ndtri(draw(roots, "a"))
        b = ISHIGAMI_B + COEF_SD[1] * ndtri(draw(roots, "b"))
        return ishigami(x, a, b)
    if name == "ishigami-binary":
        p = (ishigami(x) + BINARY_SHIFT) / BINARY_SCALE
        return (draw(roots, "u") < p).astype(np.float64)
    if name == "zero":
        return np.zeros(roots.shape)
    raise ValueError(f"unknown analytic problem {name!r}")


def analytic_evaluator(ctx, X: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """(rows, R, O) outputs: the problem of ctx.options["function"] for every output."""
    opt = ctx.options
    marker = opt.get("fail_once_dir")
    if marker:
        key = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
        path = Path(marker) / f"attempted-{key}"
        if not path.exists():
            path.touch()
            raise RuntimeError(f"injected failure (first attempt at rows {key})")
    y = evaluate(opt.get("function", "ishigami"), X[:, :3], roots)
    out = np.repeat(y[:, :, None], len(ctx.outputs), axis=2)
    sd = float(opt.get("noise_sd", 0.0))
    if sd > 0:  # independent per row, replication and output
        for o in range(out.shape[2]):
            u = draw(roots ^ np.uint64(o + 1), "noise", X)
            out[:, :, o] += sd * ndtri(u)
    if opt.get("nan"):
        out[0, 0, 0] = np.nan
    return out


def factors() -> list[Factor]:
    """x1, x2, x3 ~ U(-π, π), each its own group."""
    return [Factor(x, "analytic", (-np.pi, np.pi), "uniform", x, "", x, 0.0) for x in FACTORS]


def simulate(name: str, N: int, R: int, seed: int, *, common_seeds: bool = False,
             second_order: bool = False):
    """(problem, design, Y (rows, R)): a whole Sobol' study of a test problem evaluated in
    memory, seeded as a study is (s(j, r)). `common_seeds` gives every base point the same R
    seeds, the design this project used before issue 15: it estimates the indices of the
    average over those R seeds, not of E[y | x] (the tests show it failing)."""
    problem = build_problem(factors(), OUTPUTS)
    d = make_design("sobol", problem, N, seed, second_order)
    roots = base_roots(seed, 0, N, R)
    if common_seeds:
        roots = np.repeat(roots[:1], N, axis=0)
    return problem, d, evaluate(name, d.X, np.repeat(roots, d.step, axis=0))
