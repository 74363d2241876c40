"""The background layer: the national and regional policies the zone's 2020 policy sits on.

The data is model/policy/background.toml (one entry per policy, with its source and quote),
checked here against the registry and rules.toml. The layer acts in both arms of an
experiment: the counterfactual removes only the zone's policy. A regional entry acts from its
first year and only while the registry setting of its level (SETTINGS) is on; behaviour scales
its terms by `weight`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from model.errors import InputError
from model.params.registry import col, load_registry
from model.params.rules import load_rules

PATH = Path(__file__).resolve().parents[1] / "policy" / "background.toml"
LEVELS = ("national", "regional", "zone")
# the registry setting that switches each level's entries (1 on, 0 off); national rules and
# the zone's other policies are not switched
SETTINGS = {"regional": "regional_layer"}
KEYS = ("level", "label", "source", "date", "quote", "years", "channel", "rules", "params",
        "modelled")


@dataclass(frozen=True)
class BackgroundPolicy:
    id: str
    level: str
    label: dict
    source: str
    date: str
    quote: str
    first_year: int
    last_year: int  # 0: open-ended
    channel: dict
    rules: tuple[str, ...]
    params: tuple[str, ...]
    modelled: str

    @property
    def setting(self) -> str | None:
        return SETTINGS.get(self.level)

    def in_force(self, year: int) -> bool:
        return year >= self.first_year and (self.last_year == 0 or year <= self.last_year)


@cache
def load_background() -> dict[str, BackgroundPolicy]:
    """The entries of background.toml, in file order, each checked."""
    try:
        with open(PATH, "rb") as f:
            raw = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise InputError(PATH, "TOML syntax", "a valid TOML file", str(e)) from None
    reg, rules = load_registry(), load_rules()
    out = {}
    for bid, d in raw.items():
        for k in KEYS:
            if k not in d:
                raise InputError(PATH, f"{bid}.{k}", "a value (every entry has it)")
        if d["level"] not in LEVELS:
            raise InputError(PATH, f"{bid}.level", f"one of {LEVELS}", d["level"])
        for k in ("label", "channel"):
            if not (isinstance(d[k], dict) and d[k].get("en") and d[k].get("zh")):
                raise InputError(PATH, f"{bid}.{k}", "an English and a Chinese text")
        years = d["years"]
        first = last = None
        if isinstance(years, list) and [type(y) for y in years] == [int, int]:
            first, last = years
        if first is None or not (last == 0 or last >= first):
            raise InputError(PATH, f"{bid}.years", "[first year, last year or 0]", years)
        for name in d["params"]:
            if name not in reg:
                raise InputError(PATH, f"{bid}.params", "parameters of the registry", name)
        for table in d["rules"]:
            if table not in rules:
                raise InputError(PATH, f"{bid}.rules", "tables of rules.toml", table)
        out[bid] = BackgroundPolicy(bid, d["level"], d["label"], d["source"], str(d["date"]),
                                    d["quote"], first, last, d["channel"],
                                    tuple(d["rules"]), tuple(d["params"]), d["modelled"])
    return out


def weight(p: dict, entry: str, year: int):
    """How much of an entry's terms act in `year`: 0 outside its years, else its level's
    setting (1 on, 0 off; a (B, 1) column when it varies across runs), or 1 without one."""
    b = load_background()[entry]
    if not b.in_force(year):
        return np.float64(0.0)
    return col(p, b.setting) if b.setting else np.float64(1.0)
