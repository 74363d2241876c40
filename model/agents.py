"""Thin Mesa agents: handles onto the model's state arrays, inspectable one by one.

State lives in arrays so that ParkModel and the batch engine run the same rule functions;
an agent reads its row (run 0, its slot) when asked.
"""

from __future__ import annotations

import mesa

from model.params.rules import load_rules
from model.state import INVESTOR_TYPES, ORIGINS


class _Handle(mesa.Agent):
    group = ""

    def __init__(self, model, slot: int) -> None:
        super().__init__(model)
        self.slot = slot

    def _get(self, field: str):
        return getattr(self.model.state, self.group)[field][0, self.slot].item()


class Enterprise(_Handle):
    """A firm in the zone (its decisions: model.behaviour.enterprise)."""

    group = "f"

    @property
    def unit_id(self) -> int:
        return self.slot

    @property
    def sector(self) -> str:
        return load_rules()["sectors"]["names"][self._get("sector")]

    @property
    def origin(self) -> str:
        return ORIGINS[self._get("origin")]

    revenue = property(lambda self: self._get("revenue"))
    rd = property(lambda self: self._get("rd"))
    rd_intensity = property(lambda self: self._get("rd") / max(self._get("revenue"), 1e-9))
    is_hte = property(lambda self: bool(self._get("hte")))
    patents = property(lambda self: self._get("pat_stock"))
    platforms = property(lambda self: self._get("platforms_reg") + self._get("platforms_nat"))
    workstations = property(lambda self: self._get("workstations"))
    award_last = property(lambda self: self._get("award_last"))
    age = property(lambda self: self._get("age"))


class ResearchInstitute(_Handle):
    """A university or institute (its decisions: model.behaviour.institute)."""

    group = "i"

    @property
    def unit_id(self) -> int:
        return self.model.layout.institute_unit(self.slot)

    keylabs = property(lambda self: self._get("keylabs"))
    alliances = property(lambda self: self._get("alliances"))
    contracts_last = property(lambda self: self._get("contracts_last"))


class Investor(_Handle):
    """An investor type (its decisions: model.behaviour.investor)."""

    group = "v"

    @property
    def kind(self) -> str:
        return INVESTOR_TYPES[self.slot]

    capital = property(lambda self: self._get("capital"))
    placed = property(lambda self: self._get("placed"))


class Carrier(mesa.Agent):
    """An incubator, 双创 base or service complex, created when the zone gains one."""

    def __init__(self, model, unit_id: int, kind: str, year: int) -> None:
        super().__init__(model)
        self.unit_id, self.kind, self.year = unit_id, kind, year
