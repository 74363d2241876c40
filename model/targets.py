"""The nine 2025 indicators, computed from the state, and their thresholds from targets.toml.

`indicators_reference` states them in NumPy; `indicators`, which both engines run, takes the
firm sums in one compiled pass (`_firm_sums`) instead of some twenty whole-array operations
and their temporaries, with the same bits: the same products per slot, and each float sum in
NumPy's pairwise order (model.numerics). tests/test_indicators_fast.py holds it to the
reference. The indicators read the firms' active, revenue, sector, hts, hte, platforms_reg,
platforms_nat, workstations and practice_bases; the institutes' alliances, keylabs and
rd_institutions; and the zone's alliances_base, patents_cum, patents_2020_stock,
offshore_incubators and intl_bases.

How T5 and T6 count follows switches of targets.toml (`t5_rd_institutions`,
`t6_practice_bases`), which a scenario may change ([policy.targets], carried by
`Policy.targets`); T7's base follows `t7_count_from` (the scenario's [run]).
"""

from __future__ import annotations

import operator
import tomllib
from collections.abc import Mapping
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


def target_switch(name: str, overrides: Mapping | None = None):
    """A targets.toml switch's value: the override if given, else the file's default."""
    if overrides and name in overrides:
        return overrides[name]
    return load_targets()["switches"][name]["value"]


def _t7(z: dict, t7_count_from: str | None) -> np.ndarray:
    rule = t7_count_from or load_targets()["switches"]["t7_count_from"]["value"]
    return z["patents_cum"] + (z["patents_2020_stock"] if rule == "with_2020_stock" else 0.0)


def indicators_reference(st: State, t7_count_from: str | None = None,
                         switches: Mapping | None = None) -> dict[str, np.ndarray]:
    """Each target's indicator, (B,), from the state at the end of a year: the rules, in NumPy.

    T5 counts the new-type R&D institutions recognised at region level (P10) when
    `t5_rd_institutions`; T6 counts postdoc innovation practice bases when
    `t6_practice_bases` (`switches`: overrides of targets.toml's)."""
    f, i, z = st.f, st.i, st.z
    rules = load_rules()["sectors"]
    a = f["active"]
    rev = np.where(a, f["revenue"], 0.0)
    va = rev * rules["va"][f["sector"]]
    strategic = rules["strategic_mask"][f["sector"]]
    t5 = np.where(a, f["platforms_reg"] + f["platforms_nat"], 0).sum(1) + i["keylabs"].sum(1)
    t6 = np.where(a, f["workstations"], 0).sum(1)
    return _in_order({
        "T1": (a & f["hte"]).sum(1).astype(np.float64),
        "T2": (va * f["hts"]).sum(1) / np.maximum(va.sum(1), 1e-12),
        "T3": (rev * strategic).sum(1) / np.maximum(rev.sum(1), 1e-12),
        "T5": _t5(t5, i, switches),
        "T6": _t6(t6, np.where(a, f["practice_bases"], 0).sum(1), switches),
        **_zone_indicators(i, z, t7_count_from),
    })


def _t5(platforms: np.ndarray, i: dict, switches: Mapping | None) -> np.ndarray:
    """T5 from the counted platforms (B,) int: with the institutes' new-type R&D institutions
    when the switch says they are region-level platforms (P10.toml's claim on T5)."""
    if target_switch("t5_rd_institutions", switches):
        platforms = platforms + i["rd_institutions"].sum(1)
    return platforms.astype(np.float64)


def _t6(workstations: np.ndarray, bases: np.ndarray, switches: Mapping | None) -> np.ndarray:
    """T6 from the workstations (B,) int, with the practice bases (B,) int by switch."""
    if target_switch("t6_practice_bases", switches):
        workstations = workstations + bases
    return workstations.astype(np.float64)


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
def _firm_sums(active, revenue, sector, hts, hte, plat_reg, plat_nat, workstations, bases,
               va_table, strategic):
    """Per run: sums of va·hts, va, rev·strategic and rev (floats, in NumPy's order), and the
    counts of active HTEs, active firms' platforms, workstations and practice bases (int64, as
    NumPy sums int16). Each row's products go to a buffer first: a pairwise sum needs the whole row.

    strategic: the sectors' mask as 1.0/0.0, which is what NumPy multiplies by (a branch on
    the mask, random by slot, costs more than the rest of the loop). No branch on `active`
    either, for the same reason."""
    B, n = active.shape
    fsum = np.empty((4, B))
    isum = np.empty((4, B), np.int64)
    buf = np.empty((4, n))
    for b in range(B):
        n_hte = 0
        n_plat = 0
        n_ws = 0
        n_pb = 0
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
            n_pb += a * bases[b, j]
        for k in range(4):
            fsum[k, b] = pairwise_sum(buf[k], 0, n)
        isum[0, b] = n_hte
        isum[1, b] = n_plat
        isum[2, b] = n_ws
        isum[3, b] = n_pb
    return fsum, isum


def indicators(st: State, t7_count_from: str | None = None,
               switches: Mapping | None = None) -> dict[str, np.ndarray]:
    """Each target's indicator, (B,), from the state at the end of a year
    (`indicators_reference`'s rules, the firm sums compiled: the same bits)."""
    f, i, z = st.f, st.i, st.z
    rules = load_rules()["sectors"]
    fs, ns = _firm_sums(f["active"], f["revenue"], f["sector"], f["hts"], f["hte"],
                        f["platforms_reg"], f["platforms_nat"], f["workstations"],
                        f["practice_bases"], rules["va"],
                        rules["strategic_mask"].astype(np.float64))
    return _in_order({
        "T1": ns[0].astype(np.float64),
        "T2": fs[0] / np.maximum(fs[1], 1e-12),
        "T3": fs[2] / np.maximum(fs[3], 1e-12),
        "T5": _t5(ns[1] + i["keylabs"].sum(1), i, switches),
        "T6": _t6(ns[2], ns[3], switches),
        **_zone_indicators(i, z, t7_count_from),
    })


def met(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Whether each indicator meets its threshold, (B,) bool."""
    t = load_targets()
    return {k: _OPS[t[k]["op"]](values[k], t[k]["threshold"]) for k in TARGET_IDS}
