"""The model's state: arrays with a leading run axis B (B = 1 for one Mesa run).

Firms are (B, N), institutes (B, M), investors (B, K), the zone's carriers and counters (B,).
Behaviour functions read and write these arrays; Mesa agents are thin handles onto them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.layout import Layout

FIRM_FIELDS: dict[str, type] = {
    "active": bool, "sector": np.int8, "age": np.float64, "entry_year": np.int16,
    "origin": np.int8, "revenue": np.float64, "rd": np.float64, "rd_prev1": np.float64,
    "rd_prev2": np.float64, "rev_prev1": np.float64, "rev_prev2": np.float64,
    "kappa": np.float64, "price0": np.float64, "hts": np.float64, "margin": np.float64,
    "claim_u": np.float64, "reported_i3": np.float64,
    "effort_mult": np.float64, "hte": bool, "hte_left": np.int8, "ever_hte": bool,
    "pat_stock": np.float64, "pat_granted": np.float64, "platforms_reg": np.int16,
    "platforms_nat": np.int16, "workstations": np.int16, "growth_last": np.float64,
    "invested_last": np.float64, "award_last": np.float64, "gazelle": bool, "unicorn": bool,
    "practice_bases": np.int16,  # postdoc innovation practice bases (T6 by switch)
}
INST_FIELDS: dict[str, type] = {
    "active": bool, "keylabs": np.int16, "alliances": np.int16, "rd_institutions": np.int16,
    "contracts_last": np.int16, "breakthroughs": np.int16,
}
ZONE_FIELDS: dict[str, type] = {
    "incubators": np.int16, "dual_bases": np.int16, "service_complex": bool,
    "offshore_incubators": np.int16, "intl_bases": np.int16, "alliances_base": np.int16,
    "lost_entrants": np.int32, "pay_ratio": np.float64, "complex_unit": np.int32,
    "patents_cum": np.float64, "patents_2020_stock": np.float64,
}
INVESTOR_TYPES = ("angel", "venture", "guidance_fund", "innovation_fund")
ORIGINS = ("initial", "entrant", "relocated_hte", "settled_gazelle", "settled_unicorn")


@dataclass
class State:
    layout: Layout
    roots: np.ndarray  # (B,) uint64 root keys of the runs
    f: dict[str, np.ndarray]
    i: dict[str, np.ndarray]
    z: dict[str, np.ndarray]
    v: dict[str, np.ndarray]  # investors: capital and placements of the year, (B, K)
    extra: dict = field(default_factory=dict)

    @property
    def B(self) -> int:
        return self.roots.size

    @classmethod
    def empty(cls, layout: Layout, roots: np.ndarray) -> State:
        B = roots.size
        f = {k: np.zeros((B, layout.n_firms), t) for k, t in FIRM_FIELDS.items()}
        i = {k: np.zeros((B, layout.n_inst), t) for k, t in INST_FIELDS.items()}
        z = {k: np.zeros(B, t) for k, t in ZONE_FIELDS.items()}
        z["pay_ratio"][:] = 1.0
        v = {k: np.zeros((B, layout.n_investors)) for k in ("capital", "placed")}
        return cls(layout, np.asarray(roots, np.uint64), f, i, z, v)
