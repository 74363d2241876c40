"""The zone in 2020: firms, institutes and investors, drawn from the facts and the registry.

Facts (835 firms and 39 HTEs in September 2018) come from calibration/population.toml;
everything else (growth to 2020, sizes, sectors, R&D) from parameters marked with a source
or "assumption". Draws come from the common-random-number streams (model.rng).
"""

from __future__ import annotations

import numpy as np

from model import rng
from model.layout import Layout
from model.params.registry import col
from model.params.rules import hte_rd_threshold, load_rules, population_facts, super_deduction_rate
from model.state import State

YEAR0 = 2020


def rd_price(tax: np.ndarray, sd: np.ndarray, reward_rate=0.0) -> np.ndarray:
    """After-tax price of one yuan of R&D: 1 - t(1 + s) - r·t·s (DESIGN.md)."""
    return 1.0 - tax * (1.0 + sd) - reward_rate * tax * sd


def tax_rate(hte: np.ndarray) -> np.ndarray:
    t = load_rules()["income_tax"]
    return np.where(hte, t["hte"], t["standard"])


def _rank_desc(score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Rank (0 = highest) of each slot among eligible slots of its run; ineligible last."""
    s = np.where(eligible, score, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(s.shape[1])[None, :].repeat(s.shape[0], 0), 1)
    return rank


def draw_firms(st: State, p: dict, slots: slice, year: int, sector: np.ndarray,
               log_revenue: np.ndarray, tag: str) -> None:
    """Fill firm attributes common to the 2020 population and entrants (R&D, hts, costs)."""
    rules, f = load_rules(), st.f
    s = rules["sectors"]
    n = slots.stop - slots.start
    strategic = s["strategic_mask"][sector]
    z_rd = rng.normal(st.roots, f"{tag}_rd", year, n, slots.start)
    z_hts = rng.normal(st.roots, f"{tag}_hts", year, n, slots.start)
    z_eff = rng.normal(st.roots, f"{tag}_effort", year, n, slots.start)
    med = np.where(strategic, col(p, "rd_intensity_median_hitech"),
                   col(p, "rd_intensity_median_traditional"))
    intensity = np.minimum(med * np.exp(col(p, "rd_intensity_sigma") * z_rd), 0.3)
    revenue = np.exp(log_revenue)
    f["sector"][:, slots] = sector
    f["revenue"][:, slots] = revenue
    f["rd"][:, slots] = revenue * intensity
    f["rd_prev1"][:, slots] = f["rd"][:, slots]
    f["rd_prev2"][:, slots] = f["rd"][:, slots]
    f["kappa"][:, slots] = intensity
    hts = np.clip(col(p, "hitech_product_share_hitech") + 0.15 * z_hts, 0.0, 1.0)
    f["hts"][:, slots] = np.where(strategic, hts, 0.0)
    f["effort_mult"][:, slots] = np.exp(col(p, "effort_sigma") * z_eff)
    f["price0"][:, slots] = rd_price(tax_rate(False), super_deduction_rate(year - 1, sector))
    f["entry_year"][:, slots] = year


def initial_state(layout: Layout, p: dict, roots: np.ndarray) -> State:
    """The 2020 zone for each run b, from that run's root key."""
    st = State.empty(layout, roots)
    rules, facts = load_rules(), population_facts()
    sec = rules["sectors"]
    B, N0 = st.B, layout.n0
    span = YEAR0 - facts["base_year"]
    n_firms = np.rint(facts["firms_2018"] * (1 + col(p, "firm_growth_2018_2020")) ** span)
    n_hte = np.rint(facts["hte_2018"] * (1 + col(p, "hte_growth_2018_2020")) ** span)
    slot = np.arange(N0)[None, :]
    active = slot < np.broadcast_to(n_firms, (B, 1))
    n_large = int(p["large_traditional_firms"])

    # sectors: the first n_large slots are the large traditional firms
    u_sec = rng.uniform(roots, "pop_sector", YEAR0, N0)
    cum = np.cumsum(sec["firm_shares"])
    sector = np.minimum(np.searchsorted(cum / cum[-1], u_sec), len(cum) - 1).astype(np.int8)
    sector[:, :n_large] = sec["traditional"]
    strategic = sec["strategic_mask"][sector]

    # revenue: lognormal, scaled so the strategic and large-firm shares hold (assumptions)
    z = rng.normal(roots, "pop_revenue", YEAR0, N0)
    raw = np.where(active, np.exp(col(p, "revenue_sigma") * z), 0.0)
    large = slot < n_large
    total = np.broadcast_to(col(p, "zone_revenue_2020"), (B, 1))
    sh_large = np.broadcast_to(col(p, "large_traditional_revenue_share"), (B, 1))
    sh_str = np.broadcast_to(col(p, "strategic_revenue_share_2020"), (B, 1))
    sh_trad = np.maximum(1.0 - sh_large - sh_str, 0.02)
    norm = sh_large + sh_str + sh_trad
    revenue = np.zeros((B, N0))
    for mask, share in ((large, sh_large), (~large & strategic, sh_str),
                        (~large & ~strategic, sh_trad)):
        m = mask & active
        denom = np.maximum((raw * m).sum(1, keepdims=True), 1e-12)
        revenue += np.where(m, raw / denom * share / norm * total, 0.0)
    log_rev = np.log(np.maximum(revenue, 1e-6))
    draw_firms(st, p, slice(0, N0), YEAR0, sector, log_rev, "pop")
    f = st.f
    f["active"][:, :N0] = active
    u_age = rng.uniform(roots, "pop_age", YEAR0, N0)
    f["age"][:, :N0] = 1.0 + np.floor(u_age * col(p, "firm_age_max_2020"))

    # HTEs: the strategic firms best placed (hts >= 60%, highest R&D intensity)
    crit = rules["hte_criteria"]
    elig = active & strategic & (f["hts"][:, :N0] >= crit["min_hitech_share"])
    u_h = rng.uniform(roots, "pop_hte", YEAR0, N0)
    rank = _rank_desc(f["kappa"][:, :N0] * (0.5 + u_h), elig)
    hte = elig & (rank < n_hte)
    thr = hte_rd_threshold(f["revenue"][:, :N0])
    rd = np.where(hte, np.maximum(f["rd"][:, :N0], thr * f["revenue"][:, :N0]), f["rd"][:, :N0])
    for k in ("rd", "rd_prev1", "rd_prev2"):
        f[k][:, :N0] = rd
    f["kappa"][:, :N0] = rd / np.maximum(f["revenue"][:, :N0], 1e-9)
    f["hte"][:, :N0] = hte
    f["ever_hte"][:, :N0] = hte
    # years of validity left: an own stream, so it is not tied to who was selected (u_h)
    u_left = rng.uniform(roots, "pop_hte_left", YEAR0, N0)
    f["hte_left"][:, :N0] = np.where(hte, 1 + np.floor(u_left * crit["validity_years"]), 0)
    sd0 = super_deduction_rate(YEAR0 - 1, sector)
    f["price0"][:, :N0] = rd_price(tax_rate(hte), sd0)

    # stocks: patents by R&D; platforms to the top R&D spenders; workstations to top HTEs
    mean_rd = (rd * active).sum(1, keepdims=True) / np.maximum(active.sum(1, keepdims=True), 1)
    lam = col(p, "patent_stock_per_firm") * rd / mean_rd
    # an HTE owns the IP behind its main products (2016 Measures): at least one patent
    f["pat_stock"][:, :N0] = np.where(active, np.maximum(rng.poisson_from_uniform(
        rng.uniform(roots, "pop_patents", YEAR0, N0), lam), hte), 0)
    st.z["patents_2020_stock"][:] = f["pat_stock"][:, :N0].sum(1)
    rank_rd = _rank_desc(rd, active)
    f["platforms_reg"][:, :N0] = rank_rd < np.rint(col(p, "platforms_2020"))
    rank_rev = _rank_desc(f["revenue"][:, :N0], hte)
    f["workstations"][:, :N0] = rank_rev < np.rint(col(p, "workstations_2020"))

    # institutes and the zone
    st.i["active"][:] = np.arange(layout.n_inst)[None, :] < np.rint(col(p, "institutes"))
    st.z["alliances_base"][:] = np.rint(np.broadcast_to(col(p, "alliances_2020"), (B, 1)))[:, 0]
    return st
