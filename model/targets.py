"""The nine 2025 indicators, computed from the state, and their thresholds from targets.toml.

`indicators_reference` states them in NumPy; `indicators`, which both engines run, takes the
firm sums in one compiled pass (`_firm_sums`) instead of some twenty whole-array operations
and their temporaries, with the same bits: the same products per slot, and each float sum in
NumPy's pairwise order (model.numerics). tests/test_indicators_fast.py holds it to the
reference. The indicators read the firms' active, revenue, sector, hts, hte, platforms_reg,
platforms_nat and workstations; the institutes' alliances and keylabs; and the zone's
alliances_base, patents_cum, patents_2020_stock, offshore_incubators and intl_bases.
"""

from __future__ import annotations

import operator
import tomllib
from functools import cache
from pathlib import Path

import numba as nb
import numpy as np

from model.numerics import pairwise_sum
from model.params.rules import load_rules
from model.state import State

TARGET_IDS = tuple(f"T{i}" for i in range(1, 10))
_OPS = {">": operator.gt, ">=": operator.ge}


@cache
def load_targets() -> dict:
    with open(Path(__file__).with_name("targets.toml"), "rb") as f:
        return tomllib.load(f)


def _t7(z: dict, t7_count_from: str | None) -> np.ndarray:
    rule = t7_count_from or load_targets()["switches"]["t7_count_from"]["value"]
    return z["patents_cum"] + (z["patents_2020_stock"] if rule == "with_2020_stock" else 0.0)


def indicators_reference(st: State, t7_count_from: str | None = None) -> dict[str, np.ndarray]:
    """Each target's indicator, (B,), from the state at the end of a year: the rules, in NumPy."""
    f, i, z = st.f, st.i, st.z
    rules = load_rules()["sectors"]
    a = f["active"]
    rev = np.where(a, f["revenue"], 0.0)
    va = rev * rules["va"][f["sector"]]
    strategic = rules["strategic_mask"][f["sector"]]
    return _in_order({
        "T1": (a & f["hte"]).sum(1).astype(np.float64),
        "T2": (va * f["hts"]).sum(1) / np.maximum(va.sum(1), 1e-12),
        "T3": (rev * strategic).sum(1) / np.maximum(rev.sum(1), 1e-12),
        "T5": (np.where(a, f["platforms_reg"] + f["platforms_nat"], 0).sum(1)
               + i["keylabs"].sum(1)).astype(np.float64),
        "T6": np.where(a, f["workstations"], 0).sum(1).astype(np.float64),
        **_zone_indicators(i, z, t7_count_from),
    })


def _zone_indicators(i: dict, z: dict, t7_count_from: str | None) -> dict[str, np.ndarray]:
    """The indicators that sum over no firm (alliances, patents, incubators, bases): one
    statement for both versions of `indicators`."""
    return {
        "T4": (z["alliances_base"] + i["alliances"].sum(1)).astype(np.float64),
        "T7": _t7(z, t7_count_from).astype(np.float64),
        "T8": z["offshore_incubators"].astype(np.float64),
        "T9": z["intl_bases"].astype(np.float64),
    }


def _in_order(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {t: values[t] for t in TARGET_IDS}


@nb.njit(cache=True)
def _firm_sums(active, revenue, sector, hts, hte, plat_reg, plat_nat, workstations, va_table,
               strategic):
    """Per run: sums of va·hts, va, rev·strategic and rev (floats, in NumPy's order), and the
    counts of active HTEs, active firms' platforms and workstations (int64, as NumPy sums
    int16). Each row's products go to a buffer first: a pairwise sum needs the whole row.

    strategic: the sectors' mask as 1.0/0.0, which is what NumPy multiplies by (a branch on
    the mask, random by slot, costs more than the rest of the loop). No branch on `active`
    either, for the same reason."""
    B, n = active.shape
    fsum = np.empty((4, B))
    isum = np.empty((3, B), np.int64)
    buf = np.empty((4, n))
    for b in range(B):
        n_hte = 0
        n_plat = 0
        n_ws = 0
        for j in range(n):
            a = active[b, j]
            rev = revenue[b, j] if a else 0.0
            s = sector[b, j]
            va = rev * va_table[s]
            buf[0, j] = va * hts[b, j]
            buf[1, j] = va
            buf[2, j] = rev * strategic[s]
            buf[3, j] = rev
            n_hte += a & hte[b, j]
            n_plat += a * np.int16(plat_reg[b, j] + plat_nat[b, j])  # int16 + int16, as NumPy
            n_ws += a * workstations[b, j]
        for k in range(4):
            fsum[k, b] = pairwise_sum(buf[k], 0, n)
        isum[0, b] = n_hte
        isum[1, b] = n_plat
        isum[2, b] = n_ws
    return fsum, isum


def indicators(st: State, t7_count_from: str | None = None) -> dict[str, np.ndarray]:
    """Each target's indicator, (B,), from the state at the end of a year
    (`indicators_reference`'s rules, the firm sums compiled: the same bits)."""
    f, i, z = st.f, st.i, st.z
    rules = load_rules()["sectors"]
    fs, ns = _firm_sums(f["active"], f["revenue"], f["sector"], f["hts"], f["hte"],
                        f["platforms_reg"], f["platforms_nat"], f["workstations"], rules["va"],
                        rules["strategic_mask"].astype(np.float64))
    return _in_order({
        "T1": ns[0].astype(np.float64),
        "T2": fs[0] / np.maximum(fs[1], 1e-12),
        "T3": fs[2] / np.maximum(fs[3], 1e-12),
        "T5": (ns[1] + i["keylabs"].sum(1)).astype(np.float64),
        "T6": ns[2].astype(np.float64),
        **_zone_indicators(i, z, t7_count_from),
    })


def met(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Whether each indicator meets its threshold, (B,) bool."""
    t = load_targets()
    return {k: _OPS[t[k]["op"]](values[k], t[k]["threshold"]) for k in TARGET_IDS}
