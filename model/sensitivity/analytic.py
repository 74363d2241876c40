"""Analytic evaluators that stand in for the model, to check the plumbing (sampling,
chunking, storage, resuming, analysis) against known answers, independently of the model.

`analytic_evaluator(ctx, X)` reads `ctx.options`:
- "function": "ishigami" (SALib's test function; exact S1 = .3139, .4424, 0 and
  ST = .5576, .4424, .2437) or "zero" (no signal at all);
- "noise_sd": replication noise added to each run, drawn from (root, row values), so it is
  independent across samples (a pure-noise output then has a noise share near 1);
- "fail_once_dir": fault injection: the first attempt at each chunk raises (a marker file
  per chunk records the attempt), the retry succeeds;
- "nan": put a NaN in the outputs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from SALib.test_functions import Ishigami

ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def analytic_evaluator(ctx, X: np.ndarray) -> np.ndarray:
    opt = ctx.options
    n, R, n_out = X.shape[0], ctx.R, len(ctx.outputs)
    marker = opt.get("fail_once_dir")
    if marker:
        key = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()[:16]
        path = Path(marker) / f"attempted-{key}"
        if not path.exists():
            path.touch()
            raise RuntimeError(f"injected failure (first attempt at rows {key})")
    f = opt.get("function", "ishigami")
    base = Ishigami.evaluate(X[:, :3]) if f == "ishigami" else np.zeros(n)
    out = np.repeat(base[:, None, None], R, axis=1).repeat(n_out, axis=2)
    sd = float(opt.get("noise_sd", 0.0))
    if sd > 0:
        for i in range(n):
            h = int.from_bytes(hashlib.sha1(X[i].tobytes()).digest()[:8], "little")
            for r in range(R):
                rng = np.random.default_rng([int(ctx.roots[r]), h])
                out[i, r] += rng.normal(0.0, sd, n_out)
    if opt.get("nan"):
        out[0, 0, 0] = np.nan
    return out
