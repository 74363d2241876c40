"""ParkModel: one run of the zone on Mesa, year by year, agents inspectable one by one.

The same rule functions and award core as the batch engine (model.batch) drive it, on a
batch of one; a test proves the two give identical indicators and money for one seed.
"""

from __future__ import annotations

import mesa
import numpy as np

from model.agents import Carrier, Enterprise, Investor, ResearchInstitute
from model.dynamics import Context, step_year
from model.layout import CARRIER_TYPES, make_layout
from model.params import default_params
from model.params.rules import population_facts
from model.policy.core import KIND_CODES, Events, Ledger, compute_ledger
from model.policy.dense import dense_to_events
from model.policy.spec import Policy, load_policy
from model.population import initial_state
from model.rng import root_key
from model.settle import close_run, init_run
from model.state import INVESTOR_TYPES
from model.targets import TARGET_IDS


class ParkModel(mesa.Model):
    """Changji High-tech Zone under its 2020 policy, one run.

    Args:
        policy: the policy (default: the 2020 text with default switches).
        params: parameter overrides by name (see model/params/registry.toml).
        counterfactual: run with every award off, on the same random numbers.
        start, horizon: first and last year stepped.
        t7_count_from: T7's base ("policy_start" or "with_2020_stock").
        budget: a model.budget.Budget, or None.
        rng: seed or Generator; all randomness derives from it.
    """

    def __init__(self, policy: Policy | None = None, params: dict | None = None, *,
                 counterfactual: bool = False, start: int = 2020, horizon: int = 2025,
                 t7_count_from: str = "policy_start", budget=None, rng=None) -> None:
        super().__init__(rng=rng)
        self.policy = policy or load_policy()
        self.params = {**default_params(), **(params or {})}
        self.layout = make_layout(start, horizon, population_facts()["firms_2018"])
        self.root = root_key(self._initial_generator())
        self.state = initial_state(self.layout, self.params, np.array([self.root]))
        self.ctx = Context(self.policy, self.params,
                           np.array([[0.0 if counterfactual else 1.0]]), self.layout,
                           t7_count_from, budget, keep_events=True)
        init_run(self.state, self.ctx)
        self.years = list(self.layout.years)
        self.year = start - 1
        self.counts: dict[int, dict] = {}
        self._events: list[Events] = []
        self._firms: dict[int, Enterprise] = {}
        self._carriers: set[int] = set()
        self._sync_firms()
        for m in np.flatnonzero(self.state.i["active"][0]):
            ResearchInstitute(self, int(m))
        for k in range(len(INVESTOR_TYPES)):
            Investor(self, k)
        reporters = {t: (lambda m, t=t: m.indicators.get(t, np.nan)) for t in TARGET_IDS}
        reporters.update({
            "year": lambda m: m.year,
            "firms": lambda m: len(m.agents_by_type[Enterprise]),
            "grants_paid": lambda m: m.paid_in_year("grant"),
            "fund_investment_paid": lambda m: m.paid_in_year("fund_investment"),
            "hte_applications": lambda m: m.counts.get(m.year, {}).get("hte_applications", 0),
        })
        self.indicators: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    def _initial_generator(self) -> np.random.Generator:
        """`self.rng` as it was handed in, before Mesa drew from it: the run's root key
        derives from it, as the batch engine derives it from the same seed."""
        g = np.random.Generator(type(self.rng.bit_generator)())
        g.bit_generator.state = self._rng
        return g

    # -- the yearly loop ------------------------------------------------------------------
    def step(self) -> None:
        self.year = self.years[len(self.counts)]
        out = step_year(self.state, self.year, self.ctx)
        self.indicators = {k: float(v[0]) for k, v in out.indicators.items()}
        # counts of firms as ints; money (regional_awards, 万元) as floats
        self.counts[self.year] = {k: v[0].item() for k, v in out.counts.items()}
        self._record_events(out.events)
        self._sync_firms()
        self._sync_carriers(out.events["carrier"])
        self.datacollector.collect(self)
        if self.year == self.years[-1]:
            close_run(self.state, self.ctx)
            self.running = False

    def _sync_firms(self) -> None:
        """Firms that entered get an agent; firms that left lose theirs."""
        active = self.state.f["active"][0]
        for s in np.flatnonzero(active):
            if int(s) not in self._firms:
                self._firms[int(s)] = Enterprise(self, int(s))
        for s in [s for s in self._firms if not active[s]]:
            self._firms.pop(s).remove()

    def _sync_carriers(self, ev: dict) -> None:
        """Carriers gained this year get an agent."""
        L = self.layout
        for kind, name in zip(CARRIER_TYPES, ("national_incubator", "dual_innovation_base", None),
                              strict=True):
            u = L.carrier_unit(self.year, kind)
            c = u - L.n_firms - L.n_inst
            built = (ev[name][0, c] > 0) if name else (
                self.state.z["service_complex"][0] and self.state.z["complex_unit"][0] == c)
            if built and u not in self._carriers:
                self._carriers.add(u)
                Carrier(self, u, kind, self.year)

    def _record_events(self, events: dict) -> None:
        L = self.layout
        offsets = {"firm": 0, "institute": L.n_firms, "carrier": L.n_firms + L.n_inst}
        for group, ev in events.items():
            e = dense_to_events(self.policy, self.year, ev)
            e.unit_id = e.unit_id + offsets[group]
            self._events.append(e)

    # -- outputs ----------------------------------------------------------------------------
    @property
    def events(self) -> Events:
        """Every application the run generated, as the zone office would receive them."""
        es = self._events
        if not es:
            return Events.from_columns(self.policy, [], [], np.zeros(0, np.int64))
        return Events(*(np.concatenate([getattr(e, k) for e in es]) for k in (
            "unit_id", "year", "event", "amount", "eligible")))

    @property
    def ledger(self) -> Ledger:
        """The award ledger, from the row-wise award core (no budget rationing)."""
        ev = self.events
        if self.ctx.on[0, 0] == 0:
            return compute_ledger(ev, self.policy.without_awards())
        return compute_ledger(ev, self.policy)

    @property
    def fiscal(self):
        """Claims, payments and commitments by clause, kind and year (万元)."""
        return self.state.extra["fiscal"]

    def paid_in_year(self, kind: str) -> float:
        if self.year not in self.years:
            return 0.0
        y = self.years.index(self.year)
        return float(self.fiscal.paid[0, :, KIND_CODES.index(kind), y].sum())
