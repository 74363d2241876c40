"""What this machine's CPU lets NumPy, numba and the C library do: for the untracked run record.

The model's numbers do not depend on any of it (model.mathfn gives the same bits whatever
NumPy dispatches, numba compiles for, or glibc's libm variant is); the record says what a run
used, so a difference found later can be traced.
"""

from __future__ import annotations

import os
import platform
from typing import Any

ENV_KEYS = ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES", "GLIBC_TUNABLES",
            "NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_DISABLE_INTEL_SVML", "NUMBA_OPT",
            "NUMBA_FASTMATH")


def _numpy_features() -> dict[str, Any]:
    import numpy as np

    try:
        from numpy._core import _multiarray_umath as mu
    except ImportError:  # NumPy < 2
        from numpy.core import _multiarray_umath as mu
    feats = mu.__cpu_features__
    return {"version": np.__version__,
            "baseline": list(mu.__cpu_baseline__),
            "dispatch_built": list(mu.__cpu_dispatch__),
            "dispatch_used": [d for d in mu.__cpu_dispatch__ if feats.get(d)],
            "cpu_features": sorted(k for k, v in feats.items() if v)}


def _numba_features() -> dict[str, Any]:
    import llvmlite
    import llvmlite.binding as llb
    import numba

    cfg = numba.config
    return {"version": numba.__version__, "llvmlite": llvmlite.__version__,
            "target_cpu": cfg.CPU_NAME or llb.get_host_cpu_name(),
            "target_features": cfg.CPU_FEATURES or llb.get_host_cpu_features().flatten(),
            "svml": bool(cfg.USING_SVML)}


def dispatch_info() -> dict[str, Any]:
    """The CPU features NumPy dispatches on, numba's target CPU and features, whether numba
    uses Intel SVML, the C library, and the environment settings that change any of these."""
    lib, ver = platform.libc_ver()
    return {"machine": platform.machine(), "processor": platform.processor(),
            "numpy": _numpy_features(), "numba": _numba_features(),
            "libc": f"{lib} {ver}".strip(),
            "env": {k: os.environ[k] for k in ENV_KEYS if k in os.environ}}


__all__ = ["dispatch_info"]
