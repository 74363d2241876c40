"""The yearly loop's body, shared by ParkModel (B = 1) and the batch engine (B runs).

One call advances every run one year: agents decide, events go through the award core,
claims are paid (or rationed by a budget line), awards feed next year's decisions, and the
nine indicators are measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model import mathfn as mf
from model.behaviour import carriers, compiled, enterprise, institute, investor
from model.behaviour.incentives import Incentives
from model.layout import Layout
from model.params.rules import load_rules
from model.policy.spec import Policy
from model.population import place_arrivals
from model.rng import Streams
from model.settle import close_run, fund_investment_due, init_run, settle_year
from model.state import State
from model.targets import indicators


@dataclass
class Context:
    """What stays fixed through a run: the policy, parameters, and which runs have it on."""

    policy: Policy
    params: dict
    on: np.ndarray  # (B, 1): 1.0 policy, 0.0 counterfactual
    layout: Layout
    t7_count_from: str = "policy_start"
    budget: object | None = None  # model.budget.Budget, or None for no budget line
    keep_events: bool = False  # ParkModel keeps them for its ledger
    # "reference": the NumPy behaviour functions, as written (ParkModel); "compiled": the
    # numba kernels that reproduce them bit for bit (the batch engine's default)
    engine: str = "reference"
    # the compiled engine's event arrays, reused from year to year when events are not kept
    events_buffer: compiled.EventBuffers | None = field(default=None, repr=False)


@dataclass
class YearOut:
    year: int
    indicators: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]
    events: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _place_arrivals(st: State, p: dict, inc: Incentives, rs: Streams, year: int) -> dict:
    """Entry, relocation and settling into this year's slot block; returns their events.

    Ordinary entrants (a share of the firms present, high-tech more often under P6c),
    HTEs relocating from outside Xinjiang (P6d: established, certified, strategic), then
    listed gazelles and unicorns settling (P6b, P6a); arrivals beyond a block's capacity are
    counted as lost. The rules are stated in NumPy in
    model.population.place_arrivals_reference; this runs them compiled, with the same bits.
    """
    return place_arrivals(st, p, inc, rs, year)


def step_year(st: State, year: int, ctx: Context) -> YearOut:
    """Advance every run by one year.

    Only the firm slots that can be in use by this year are touched: later years' arrival
    blocks are still empty.
    """
    full = st.f
    n = st.layout.entry_start(year) + st.layout.block
    views = {k: v[:, :n] for k, v in full.items()}
    st.f = dict(views)
    try:
        return _step(st, year, ctx)
    finally:
        for k, v in st.f.items():
            if v is not views[k]:
                full[k][:, :n] = v
        st.f = full


def _step(st: State, year: int, ctx: Context) -> YearOut:
    policy, p, L = ctx.policy, ctx.params, st.layout
    i, z = st.i, st.z
    B = st.B
    rs = Streams(st.roots, year)
    fast = ctx.engine == "compiled"
    inc = Incentives(policy, year, ctx.on, z["pay_ratio"])
    ev_f = _place_arrivals(st, p, inc, rs, year)

    # firms: R&D, HTE status, patents, contracts, recognitions, listings
    if fast:
        if ctx.events_buffer is None and not ctx.keep_events:
            ctx.events_buffer = compiled.EventBuffers(B, L.n_firms, int(p["contract_slots"]))
        ev, counts = compiled.firm_decisions(st.f, z, p, inc, rs, year, policy,
                                             ctx.events_buffer)
    else:
        ev, counts = _firm_decisions(st, p, inc, rs, year, policy)
    ev_f.update(ev)
    st.f["practice_bases"] += ev_f["postdoc_practice_base"].astype(np.int16)  # T6 by switch

    # institutes: they sell the contracts, form alliances, labs, institutions, breakthroughs
    # (a share of the contracts is sold by zone enterprises: `contract_seller` names them)
    sellers = compiled.sellers if fast else institute.sellers
    sold, ev_f["contract_seller"] = sellers(ev_f["tech_contract"], ev_f["tech_contract_other"],
                                            st.f, i["active"], p, rs)
    i["contracts_last"] = sold.astype(np.int16)
    ev_i = institute.decide(i, p, inc, rs)
    i["alliances"] += ev_i.pop("alliance").astype(np.int16)
    i["keylabs"] += ev_i["platform_regional"].astype(np.int16)
    i["rd_institutions"] += ev_i["new_rd_institution"].astype(np.int16)
    i["breakthroughs"] += ev_i["major_breakthrough"].astype(np.int16)

    # carriers (zone-wide); each new carrier gets its unit slot
    cz = carriers.decide(z, p, inc, rs)
    C = L.n_carriers
    ev_c = {k: np.zeros((B, C)) for k in ("national_incubator", "dual_innovation_base",
                                         "service_complex_excellent")}
    base = L.carrier_unit(year, "incubator") - L.n_firms - L.n_inst
    ev_c["national_incubator"][:, base] = cz["national_incubator"]
    ev_c["dual_innovation_base"][:, base + 1] = cz["dual_innovation_base"]
    z["complex_unit"] = np.where(cz["complex_built"], base + 2, z["complex_unit"])
    z["service_complex"] |= cz["complex_built"]
    exc = cz["service_complex_excellent"]
    ev_c["service_complex_excellent"][np.flatnonzero(exc), z["complex_unit"][exc]] = 1.0
    z["incubators"] += cz["national_incubator"]
    z["dual_bases"] += cz["dual_innovation_base"]
    z["offshore_incubators"] += cz["offshore_incubator"]
    z["intl_bases"] += cz["intl_base"]

    # awards: claims of the year (new and instalments falling due), paid or rationed
    received = settle_year(st, ctx, year, {"firm": ev_f, "institute": ev_i, "carrier": ev_c})

    # investors (the innovation fund first honours P3 follow-ons), growth, exit, ageing;
    # awards and investment feed next year
    followon = fund_investment_due(st, ctx, year)
    close = compiled.close_year if fast else _close_year
    st.v["capital"], st.v["placed"], gone = close(st.f, p, rs, received, followon)

    f = st.f
    counts.update({"exits": gone,
                   "entrants": (f["active"] & (f["entry_year"] == year) & (f["origin"] > 0)
                                ).sum(1),
                   "firms": f["active"].sum(1)})
    out = YearOut(year, indicators(st, ctx.t7_count_from, ctx.policy.targets), counts)
    if ctx.keep_events:
        out.events = {"firm": ev_f, "institute": ev_i, "carrier": ev_c}
    return out


def _firm_decisions(st: State, p: dict, inc: Incentives, rs: Streams, year: int,
                    policy: Policy) -> tuple[dict, dict]:
    """The firms' decisions of the year, with the NumPy functions of model.behaviour
    (model.behaviour.compiled.firm_decisions is the same, compiled)."""
    f, z = st.f, st.z
    ev_f: dict[str, np.ndarray] = {}
    # R&D, then HTE status (firms bunch at the threshold), patents, contracts, recognitions
    f["rd"] = enterprise.decide_rd(f, p, inc, year)
    d = enterprise.decide_hte(f, p, inc, year, rs)
    f["rd"] = d.new_rd
    f["pat_stock"] += d.acquired_ip  # an acquired patent: owned, not granted to the firm
    f["reported_i3"] = d.reported_i3
    first = d.certified_new & ~f["ever_hte"]
    again = d.certified_new & f["ever_hte"]  # a lapsed firm certified again
    f["hte"] = (f["hte"] | d.certified_new) & ~d.lapsed
    f["ever_hte"] |= d.certified_new
    f["hte_left"] = np.where(d.certified_new | d.renewed,
                             load_rules()["hte_criteria"]["validity_years"],
                             f["hte_left"]).astype(np.int8)
    ev_f["hte_certified"] = first.astype(np.float64)
    ev_f["hte_certified_again"] = again.astype(np.float64)
    # the regional fund's money (region's, not the zone's: a count, not a claim)
    regional = enterprise.regional_awards(f, p, year, first, again | d.renewed)
    p8 = policy.value("P8a", "min_grants")
    inv, util, des = enterprise.patents(f, p, inc, rs, p8)
    ev_f["patents_invention"] = inv.astype(np.float64)
    ev_f["patents_utility"] = util.astype(np.float64)
    ev_f["patents_design"] = des.astype(np.float64)
    granted = inv + util + des
    f["pat_stock"] += granted
    f["pat_granted"] += granted
    z["patents_cum"] += granted.sum(1)
    k = int(p["contract_slots"])
    ev_f["tech_contract"], ev_f["tech_contract_other"] = enterprise.contracts(f, p, inc, rs, k)
    rec = enterprise.recognitions(f, p, inc, rs)
    ev_f.update(rec)
    f["platforms_reg"] += rec["platform_regional"].astype(np.int16)
    f["platforms_nat"] += rec["platform_national"].astype(np.int16)
    f["workstations"] += (rec["academician_workstation"]
                          + rec["postdoc_workstation"]).astype(np.int16)
    # the R&D super-deduction: tax saved that year by a claiming firm on its taxable profit,
    # the base of P7
    ev_f["rd_super_deduction"] = enterprise.super_deduction(f, p, year)
    # zone firms newly listed as gazelles or unicorns on last year's growth (P6a/b by switch)
    gazelle, unicorn = enterprise.listings(f, p, rs)
    f["gazelle"] |= gazelle
    f["unicorn"] |= unicorn
    ev_f["gazelle_listed"] = gazelle.astype(np.float64)
    ev_f["unicorn_listed"] = unicorn.astype(np.float64)
    counts = {"hte_applications": d.seek.sum(1), "hte_new": d.certified_new.sum(1),
              "hte_lapsed": d.lapsed.sum(1), "regional_awards": regional.sum(1)}
    return ev_f, counts


def _close_year(f: dict, p: dict, rs: Streams, received: np.ndarray, followon: np.ndarray):
    """Investment, growth, exit and ageing with the NumPy functions of model.behaviour
    (model.behaviour.compiled.close_year is the same, compiled). Returns (capital, placed,
    exits per run)."""
    amount, capital, placed = investor.invest(f, p, rs, followon)
    g = enterprise.grow(f, p, rs)
    f["hts"] = enterprise.adjust_hts(f, p)  # on this year's three-year window, before it shifts
    # copies: step_year writes each array back into its own slots, and an array held under
    # two names would be written back twice (rd_prev2 used to end the year equal to rd)
    f["rd_prev2"], f["rd_prev1"] = f["rd_prev1"].copy(), f["rd"].copy()
    f["rev_prev2"], f["rev_prev1"] = f["rev_prev1"].copy(), f["revenue"].copy()
    e = mf.exp(g)
    f["revenue"] = f["revenue"] * e
    f["growth_last"] = e - 1.0
    f["invested_last"] = amount
    f["award_last"] = received
    gone = enterprise.exits(f, p, rs)
    f["active"] &= ~gone
    f["age"] += f["active"]
    f["hte_left"] = np.where(f["hte"], f["hte_left"] - 1, 0).astype(np.int8)
    return capital, placed, gone.sum(1)


__all__ = ["Context", "YearOut", "close_run", "init_run", "step_year"]
