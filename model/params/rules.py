"""National rules (tax, HTE criteria, gazelle and unicorn tests, patent lags) from rules.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

import numpy as np

PATH = Path(__file__).with_name("rules.toml")


@cache
def load_rules() -> dict:
    with open(PATH, "rb") as f:
        r = tomllib.load(f)
    s = r["sectors"]
    s["strategic_mask"] = np.array(s["strategic"], bool)
    s["manufacturing_mask"] = np.array(s["manufacturing"], bool)
    s["va"] = np.array(s["value_added_ratio"])
    s["traditional"] = s["names"].index("traditional")
    s["other_hitech"] = s["names"].index("other_hitech")
    return r


def super_deduction_rate(year: int, sector: np.ndarray) -> np.ndarray:
    """Extra deduction rate by year and sector (manufacturing, tech SMEs, all)."""
    r = load_rules()
    sd, s = r["super_deduction"], r["sectors"]
    if year >= sd["all_from"]:
        return np.full(sector.shape, sd["raised"])
    raised = np.zeros(sector.shape, bool)
    if year >= sd["manufacturing_from"]:
        raised |= s["manufacturing_mask"][sector]
    if year >= sd["tech_sme_from"]:
        raised |= sector == s["other_hitech"]
    base = sd["base"] if year >= sd["base_from"] else 0.0
    return np.where(raised, sd["raised"], base)


def hte_rd_threshold(revenue: np.ndarray) -> np.ndarray:
    """R&D intensity required for HTE status, by revenue band."""
    c = load_rules()["hte_criteria"]
    return np.asarray(c["rd_intensity"])[np.searchsorted(c["revenue_bands"], revenue, side="left")]


def population_facts() -> dict:
    path = Path(__file__).resolve().parents[2] / "calibration" / "population.toml"
    with open(path, "rb") as f:
        return {k: v["value"] for k, v in tomllib.load(f).items()}
