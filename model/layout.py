"""Where each unit sits in the arrays: slots are fixed by (year, order of arrival).

A firm that enters in year t as the j-th entrant always sits in slot `entry_start(t) + j`,
whatever happened before, so it meets the same random numbers in every scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from model import mathfn as mf
from model.params.registry import load_registry

FIRMS_2018 = "firms_2018"  # name of the observed fact in calibration/population.toml

CARRIER_TYPES = ("incubator", "dual_base", "service_complex")


@dataclass(frozen=True)
class Layout:
    n0: int  # slots for the 2020 population (its largest plausible size)
    years: tuple[int, ...]  # the years stepped
    entry: int
    reloc: int
    settle: int
    n_inst: int
    n_investors: int = 4

    @property
    def block(self) -> int:
        return self.entry + self.reloc + self.settle

    @property
    def n_firms(self) -> int:
        return self.n0 + self.block * len(self.years)

    @property
    def n_carriers(self) -> int:
        return len(CARRIER_TYPES) * len(self.years)

    @property
    def n_units(self) -> int:
        return self.n_firms + self.n_inst + self.n_carriers

    def year_index(self, year: int) -> int:
        return self.years.index(year)

    def entry_start(self, year: int) -> int:
        return self.n0 + self.block * self.year_index(year)

    def reloc_start(self, year: int) -> int:
        return self.entry_start(year) + self.entry

    def settle_start(self, year: int) -> int:
        return self.reloc_start(year) + self.reloc

    def institute_unit(self, m: int) -> int:
        return self.n_firms + m

    def carrier_unit(self, year: int, kind: str) -> int:
        return (self.n_firms + self.n_inst + len(CARRIER_TYPES) * self.year_index(year)
                + CARRIER_TYPES.index(kind))

    def unit_type(self, unit_id: int) -> str:
        if unit_id < self.n_firms:
            return "firm"
        return "institute" if unit_id < self.n_firms + self.n_inst else "carrier"


def make_layout(start: int, horizon: int, firms_2018: int) -> Layout:
    reg = load_registry()
    hi = reg["firm_growth_2018_2020"].range[1]
    n0 = math.ceil(firms_2018 * float(mf.power(1 + hi, start - 2018)))
    return Layout(n0=n0, years=tuple(range(start, horizon + 1)),
                  entry=int(reg["entry_slots"].value), reloc=int(reg["relocation_slots"].value),
                  settle=int(reg["settle_slots"].value), n_inst=int(reg["institutes"].range[1]))
