"""The nine 2025 indicators, computed from the state, and their thresholds from targets.toml."""

from __future__ import annotations

import operator
import tomllib
from functools import cache
from pathlib import Path

import numpy as np

from model.params.rules import load_rules
from model.state import State

TARGET_IDS = tuple(f"T{i}" for i in range(1, 10))
_OPS = {">": operator.gt, ">=": operator.ge}


@cache
def load_targets() -> dict:
    with open(Path(__file__).with_name("targets.toml"), "rb") as f:
        return tomllib.load(f)


def indicators(st: State, t7_count_from: str | None = None) -> dict[str, np.ndarray]:
    """Each target's indicator, (B,), from the state at the end of a year."""
    f, i, z = st.f, st.i, st.z
    rules = load_rules()["sectors"]
    a = f["active"]
    rev = np.where(a, f["revenue"], 0.0)
    va = rev * rules["va"][f["sector"]]
    strategic = rules["strategic_mask"][f["sector"]]
    rule = t7_count_from or load_targets()["switches"]["t7_count_from"]["value"]
    t7 = z["patents_cum"] + (z["patents_2020_stock"] if rule == "with_2020_stock" else 0.0)
    return {
        "T1": (a & f["hte"]).sum(1).astype(np.float64),
        "T2": (va * f["hts"]).sum(1) / np.maximum(va.sum(1), 1e-12),
        "T3": (rev * strategic).sum(1) / np.maximum(rev.sum(1), 1e-12),
        "T4": (z["alliances_base"] + i["alliances"].sum(1)).astype(np.float64),
        "T5": (np.where(a, f["platforms_reg"] + f["platforms_nat"], 0).sum(1)
               + i["keylabs"].sum(1)).astype(np.float64),
        "T6": np.where(a, f["workstations"], 0).sum(1).astype(np.float64),
        "T7": t7.astype(np.float64),
        "T8": z["offshore_incubators"].astype(np.float64),
        "T9": z["intl_bases"].astype(np.float64),
    }


def met(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Whether each indicator meets its threshold, (B,) bool."""
    t = load_targets()
    return {k: _OPS[t[k]["op"]](values[k], t[k]["threshold"]) for k in TARGET_IDS}
