"""The zone in 2020: firms, institutes and investors, drawn from the facts and the registry.

Facts (835 firms and 39 HTEs in September 2018) come from calibration/population.toml;
everything else (growth to 2020, sizes, sectors, R&D) from parameters marked with a source
or "assumption". Draws come from the common-random-number streams (model.rng).

Each year's arrivals (entrants, relocated HTEs, settling gazelles and unicorns) are drawn
here too, with the same firm attributes (`draw_firms`).

`initial_state_reference` and `place_arrivals_reference` state the rules in NumPy;
`initial_state` and `place_arrivals`, which ParkModel and the batch engine run, do the same
with the numba kernels of model.population_compiled, bit for bit (tests/test_population_fast.py
holds them to the references). A change of rule is made in the reference first, then there.
"""

from __future__ import annotations

import numpy as np

from model import mathfn as mf
from model import population_compiled as pc
from model import rng
from model.behaviour import enterprise, entry
from model.behaviour.incentives import Incentives
from model.layout import Layout
from model.params.registry import as_runs, col, per_run
from model.params.rules import hte_rd_threshold, load_rules, population_facts, super_deduction_rate
from model.state import ORIGINS, State

YEAR0 = 2020


def _rank_desc(score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Rank (0 = highest) of each slot among eligible slots of its run; ineligible last."""
    s = np.where(eligible, score, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(s.shape[1])[None, :].repeat(s.shape[0], 0), 1)
    return rank


def price0(f: dict, p: dict, slots: slice, year: int, hte) -> np.ndarray:
    """The reference price of R&D of firms in `slots` (the price at which `kappa` was chosen):
    last year's, 1 - tau (1 + s·c) with tau the tax a deduction saves (0 for a loss-maker)
    and c whether the firm claims the super-deduction, as HTE or not (`hte`)."""
    sub = {k: f[k][:, slots] for k in ("revenue", "margin", "claim_u", "sector")}
    sub["hte"] = np.broadcast_to(hte, sub["revenue"].shape)
    tau = enterprise.taxed(enterprise.tax_rate(sub["hte"]), sub["margin"])
    sdc = super_deduction_rate(year - 1, sub["sector"]) * enterprise.claims(sub, p)
    return enterprise.rd_price(tau, sdc)


def draw_firms(st: State, p: dict, slots: slice, year: int, sector: np.ndarray,
               log_revenue: np.ndarray, tag: str) -> None:
    """Fill firm attributes common to the 2020 population and entrants (R&D, hts, costs,
    profit margin, super-deduction claim draw)."""
    rules, f = load_rules(), st.f
    s = rules["sectors"]
    n = slots.stop - slots.start
    strategic = s["strategic_mask"][sector]
    z_rd = rng.normal(st.roots, f"{tag}_rd", year, n, slots.start)
    z_hts = rng.normal(st.roots, f"{tag}_hts", year, n, slots.start)
    z_eff = rng.normal(st.roots, f"{tag}_effort", year, n, slots.start)
    z_margin = rng.normal(st.roots, f"{tag}_margin", year, n, slots.start)
    u_claim = rng.uniform(st.roots, f"{tag}_claim", year, n, slots.start)
    med = np.where(strategic, col(p, "rd_intensity_median_hitech"),
                   col(p, "rd_intensity_median_traditional"))
    intensity = np.minimum(med * mf.exp(col(p, "rd_intensity_sigma") * z_rd),
                           col(p, "rd_intensity_max"))
    revenue = mf.exp(log_revenue)
    f["sector"][:, slots] = sector
    f["revenue"][:, slots] = revenue
    f["rev_prev1"][:, slots] = revenue  # a young firm's window repeats its first year
    f["rev_prev2"][:, slots] = revenue
    f["rd"][:, slots] = revenue * intensity
    f["rd_prev1"][:, slots] = f["rd"][:, slots]
    f["rd_prev2"][:, slots] = f["rd"][:, slots]
    f["kappa"][:, slots] = intensity
    hts = np.clip(col(p, "hitech_product_share_hitech")
                  + col(p, "hitech_product_share_sd") * z_hts, 0.0, 1.0)
    f["hts"][:, slots] = np.where(strategic, hts, 0.0)
    f["effort_mult"][:, slots] = mf.exp(col(p, "effort_sigma") * z_eff)
    f["margin"][:, slots] = col(p, "profit_margin") + col(p, "profit_margin_sd") * z_margin
    f["claim_u"][:, slots] = u_claim
    f["price0"][:, slots] = price0(f, p, slots, year, False)
    f["entry_year"][:, slots] = year


def _population_sizes(p: dict):
    """Firms and HTEs in 2020: the September 2018 facts grown at the registry's rates."""
    facts = population_facts()
    span = YEAR0 - facts["base_year"]
    n_firms = np.rint(facts["firms_2018"] * mf.power(1 + col(p, "firm_growth_2018_2020"), span))
    n_hte = np.rint(facts["hte_2018"] * mf.power(1 + col(p, "hte_growth_2018_2020"), span))
    return n_firms, n_hte


def _revenue_shares(p: dict, B: int):
    """Zone revenue, the shares of large, strategic and other firms, and their sum, (B, 1)."""
    total = np.broadcast_to(col(p, "zone_revenue_2020"), (B, 1))
    sh_large = np.broadcast_to(col(p, "large_traditional_revenue_share"), (B, 1))
    sh_str = np.broadcast_to(col(p, "strategic_revenue_share_2020"), (B, 1))
    sh_trad = np.maximum(1.0 - sh_large - sh_str, 0.02)  # guard: other firms keep a share
    norm = sh_large + sh_str + sh_trad
    return total, sh_large, sh_str, sh_trad, norm


def _institutes_and_zone(st: State, p: dict) -> None:
    st.i["active"][:] = np.arange(st.layout.n_inst)[None, :] < np.rint(col(p, "institutes"))
    st.z["alliances_base"][:] = np.rint(np.broadcast_to(col(p, "alliances_2020"), (st.B, 1)))[:, 0]


def initial_state_reference(layout: Layout, p: dict, roots: np.ndarray) -> State:
    """The 2020 zone for each run b, from that run's root key: the rules, in NumPy."""
    st = State.empty(layout, roots)
    rules = load_rules()
    sec = rules["sectors"]
    B, N0 = st.B, layout.n0
    n_firms, n_hte = _population_sizes(p)
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
    raw = np.where(active, mf.exp(col(p, "revenue_sigma") * z), 0.0)
    large = slot < n_large
    total, sh_large, sh_str, sh_trad, norm = _revenue_shares(p, B)
    revenue = np.zeros((B, N0))
    for mask, share in ((large, sh_large), (~large & strategic, sh_str),
                        (~large & ~strategic, sh_trad)):
        m = mask & active
        denom = np.maximum((raw * m).sum(1, keepdims=True), 1e-12)
        revenue += np.where(m, raw / denom * share / norm * total, 0.0)
    log_rev = mf.log(np.maximum(revenue, 1e-6))  # 1e-6: a guard for empty slots
    draw_firms(st, p, slice(0, N0), YEAR0, sector, log_rev, "pop")
    f = st.f
    f["active"][:, :N0] = active
    u_age = rng.uniform(roots, "pop_age", YEAR0, N0)
    f["age"][:, :N0] = 1.0 + np.floor(u_age * col(p, "firm_age_max_2020"))

    # HTEs: the strategic firms best placed (hts >= 60%, highest R&D intensity)
    crit = rules["hte_criteria"]
    elig = active & strategic & (f["hts"][:, :N0] >= crit["min_hitech_share"])
    u_h = rng.uniform(roots, "pop_hte", YEAR0, N0)
    rank = _rank_desc(f["kappa"][:, :N0] * (col(p, "initial_hte_score_floor") + u_h), elig)
    hte = elig & (rank < n_hte)
    # R&D raised to the real threshold: thr (1 - relabel) of revenue (model.behaviour.enterprise)
    thr = hte_rd_threshold(f["revenue"][:, :N0]) * (1.0 - col(p, "relabel_share"))
    rd = np.where(hte, np.maximum(f["rd"][:, :N0], thr * f["revenue"][:, :N0]), f["rd"][:, :N0])
    for k in ("rd", "rd_prev1", "rd_prev2"):
        f[k][:, :N0] = rd
    f["kappa"][:, :N0] = rd / np.maximum(f["revenue"][:, :N0], 1e-9)  # 1e-9: a guard
    f["hte"][:, :N0] = hte
    f["ever_hte"][:, :N0] = hte
    # years of validity left: an own stream, so it is not tied to who was selected (u_h)
    u_left = rng.uniform(roots, "pop_hte_left", YEAR0, N0)
    f["hte_left"][:, :N0] = np.where(hte, 1 + np.floor(u_left * crit["validity_years"]), 0)
    f["price0"][:, :N0] = price0(f, p, slice(0, N0), YEAR0, hte)

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
    _institutes_and_zone(st, p)
    return st


def place_arrivals_reference(st: State, p: dict, inc: Incentives, rs: rng.Streams,
                             year: int) -> dict:
    """Entry, relocation and settling into this year's slot block; returns their events.

    The rules, in NumPy (model.dynamics runs `place_arrivals`, the same compiled)."""
    L, f = st.layout, st.f
    B, N = st.B, f["active"].shape[1]
    rules = load_rules()
    n_active = f["active"].sum(1)
    ev = {k: np.zeros((B, N)) for k in ("hte_relocated", "gazelle_settled", "unicorn_settled")}
    j = np.arange(max(L.entry, L.reloc, L.settle))[None, :]
    out = {}

    def fill(start: int, cap: int, count: np.ndarray, tag: str, sector, log_rev, origin: int):
        sl = slice(start, start + cap)
        live = j[:, :cap] < count[:, None]
        draw_firms(st, p, sl, year, sector, log_rev, tag)
        f["active"][:, sl] = live
        f["origin"][:, sl] = origin
        f["age"][:, sl] = 0.0
        return sl, live

    # ordinary entrants
    n, lost = entry.arrivals(rs, "entry_count", entry.expected_entry(p, n_active), L.entry)
    start = L.entry_start(year)
    sector = entry.entrant_sectors(p, inc, rs, L.entry, start)
    log_rev = mf.log(col(p, "entrant_revenue_median")) + col(p, "revenue_sigma") * rs.z(
        "entry_revenue", L.entry, start)
    fill(start, L.entry, n, "entry", sector, log_rev, ORIGINS.index("entrant"))
    st.z["lost_entrants"] += lost.astype(np.int32)

    # HTEs relocating from outside Xinjiang (P6d): established, certified, strategic
    n, lost = entry.arrivals(rs, "relocation_count", entry.relocation_rate(p, inc), L.reloc)
    start = L.reloc_start(year)
    sector = entry.entrant_sectors(p, inc, rs, L.reloc, start)
    sector = np.where(sector == rules["sectors"]["traditional"], 0, sector).astype(np.int8)
    log_rev = mf.log(col(p, "relocated_revenue_median")) + col(p, "revenue_sigma") * rs.z(
        "relocation_revenue", L.reloc, start)
    sl, live = fill(start, L.reloc, n, "reloc", sector, log_rev, ORIGINS.index("relocated_hte"))
    crit = rules["hte_criteria"]
    f["hts"][:, sl] = np.maximum(f["hts"][:, sl], crit["min_hitech_share"])
    thr = (hte_rd_threshold(f["revenue"][:, sl]) * (1.0 - col(p, "relabel_share"))
           * f["revenue"][:, sl])
    for k in ("rd", "rd_prev1", "rd_prev2"):
        f[k][:, sl] = np.maximum(f[k][:, sl], thr)
    f["kappa"][:, sl] = f["rd"][:, sl] / f["revenue"][:, sl]
    f["age"][:, sl] = crit["min_age_years"]
    f["hte"][:, sl] = live
    f["ever_hte"][:, sl] = live
    f["pat_stock"][:, sl] = np.maximum(f["pat_stock"][:, sl], live)  # certified: owns IP
    f["hte_left"][:, sl] = np.where(live, crit["validity_years"], 0)
    f["price0"][:, sl] = price0(f, p, sl, year, True)
    ev["hte_relocated"][:, sl] = live
    st.z["lost_entrants"] += lost.astype(np.int32)

    # listed gazelles, then unicorns, settling (P6b, P6a)
    g_rate, u_rate = entry.settle_rates(p, inc)
    ng, lost_g = entry.arrivals(rs, "gazelle_count", g_rate, L.settle)
    nu, lost_u = entry.arrivals(rs, "unicorn_count", u_rate, L.settle)
    nu = np.minimum(nu, L.settle - ng)
    start = L.settle_start(year)
    sector = entry.entrant_sectors(p, inc, rs, L.settle, start)
    sector = np.where(sector == rules["sectors"]["traditional"], 0, sector).astype(np.int8)
    gz, uc = rules["gazelle"], rules["unicorn"]
    is_uni = (j[:, :L.settle] >= ng[:, None]) & (j[:, :L.settle] < (ng + nu)[:, None])
    u_rev = rs.u("settle_revenue", L.settle, start)
    log_rev = np.where(is_uni, mf.log(uc["min_valuation"] / col(p, "valuation_multiple")),
                       mf.log(gz["bands"][0]) + u_rev * mf.log(gz["bands"][1] / gz["bands"][0]))
    sl, live = fill(start, L.settle, ng + nu, "settle", sector, log_rev,
                    ORIGINS.index("settled_gazelle"))
    f["origin"][:, sl] = np.where(is_uni, ORIGINS.index("settled_unicorn"), f["origin"][:, sl])
    f["gazelle"][:, sl] = live & ~is_uni
    f["unicorn"][:, sl] = live & is_uni
    f["age"][:, sl] = crit["min_age_years"]
    ev["gazelle_settled"][:, sl] = live & ~is_uni
    ev["unicorn_settled"][:, sl] = live & is_uni
    st.z["lost_entrants"] += (lost_g + lost_u).astype(np.int32)
    out.update(ev)
    return out


def _draw_params(run: np.ndarray, p: dict, B: int) -> None:
    """The parameters of `draw_firms` (and `price0`), per run, into a kernel record."""
    names = dict(zip(pc.FIRM_RUN, (
        "rd_intensity_median_hitech", "rd_intensity_median_traditional", "rd_intensity_sigma",
        "rd_intensity_max", "hitech_product_share_hitech", "hitech_product_share_sd",
        "effort_sigma", "profit_margin", "profit_margin_sd", "relabel_share",
        "p7_takeup_small", "p7_takeup_medium", "p7_takeup_large", "p7_takeup_hte"),
        strict=True))
    for field, name in names.items():
        run[field] = per_run(p, name, B)


def _hte_tables(bands_rule: dict) -> tuple[np.ndarray, np.ndarray]:
    return (np.asarray(bands_rule["revenue_bands"], np.float64),
            np.asarray(bands_rule["rd_intensity"], np.float64))


def _tax_tables(year: int, n_sectors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(standard, HTE) tax rates, the size bands, and last year's super-deduction by sector."""
    rules = load_rules()
    t = rules["income_tax"]
    return (np.array([t["standard"], t["hte"]], np.float64),
            np.asarray(rules["firm_size"]["revenue_bands"], np.float64),
            np.asarray(super_deduction_rate(year - 1, np.arange(n_sectors)), np.float64))


def initial_state(layout: Layout, p: dict, roots: np.ndarray) -> State:
    """The 2020 zone for each run b, from that run's root key (`initial_state_reference`'s
    rules, compiled: the same bits in about half the time)."""
    st = State.empty(layout, roots)
    rules = load_rules()
    sec, crit = rules["sectors"], rules["hte_criteria"]
    B, N0 = st.B, layout.n0
    n_firms, n_hte = _population_sizes(p)
    run = np.empty(B, pc.POP_RUN)
    run["n_firms"] = as_runs(n_firms, B)
    run["m_hte"] = as_runs(pc.top_count(n_hte, N0), B)
    run["sigma_rev"] = per_run(p, "revenue_sigma", B)
    for field, v in zip(("total", "sh_large", "sh_str", "sh_trad", "norm"),
                        _revenue_shares(p, B), strict=True):
        run[field] = v[:, 0]
    _draw_params(run, p, B)
    run["age_max"] = per_run(p, "firm_age_max_2020", B)
    run["pat_per_firm"] = per_run(p, "patent_stock_per_firm", B)
    run["m_platforms"] = as_runs(pc.top_count(np.rint(col(p, "platforms_2020")), N0), B)
    run["m_workstations"] = as_runs(pc.top_count(np.rint(col(p, "workstations_2020")), N0), B)
    run["score_floor"] = per_run(p, "initial_hte_score_floor", B)
    cum = np.cumsum(sec["firm_shares"])
    bands, intensity = _hte_tables(crit)
    f = st.f
    pc.populate(rng.stream_key_table(st.roots, pc.POP_DRAWS, YEAR0), run, N0,
                int(p["large_traditional_firms"]), cum / cum[-1], sec["strategic_mask"],
                sec["traditional"], crit["min_hitech_share"], bands, intensity,
                crit["validity_years"], *_tax_tables(YEAR0, cum.size), YEAR0, f["active"],
                f["sector"], f["age"], f["revenue"], f["rev_prev1"], f["rev_prev2"], f["rd"],
                f["rd_prev1"], f["rd_prev2"], f["kappa"], f["hts"], f["effort_mult"],
                f["margin"], f["claim_u"], f["price0"], f["entry_year"], f["hte"],
                f["ever_hte"], f["hte_left"], f["pat_stock"], f["platforms_reg"],
                f["workstations"], st.z["patents_2020_stock"])
    _institutes_and_zone(st, p)
    return st


def place_arrivals(st: State, p: dict, inc: Incentives, rs: rng.Streams, year: int) -> dict:
    """Entry, relocation and settling into this year's slot block; returns their events
    (`place_arrivals_reference`'s rules, compiled: the same bits)."""
    L, f = st.layout, st.f
    B, N = st.B, f["active"].shape[1]
    rules = load_rules()
    s, crit, gz, uc = (rules[k] for k in ("sectors", "hte_criteria", "gazelle", "unicorn"))
    run = np.empty(B, pc.ARRIVAL_RUN)
    run["lam_entry"] = as_runs(entry.expected_entry(p, f["active"].sum(1)), B)
    run["lam_reloc"] = as_runs(entry.relocation_rate(p, inc), B)
    g_rate, u_rate = entry.settle_rates(p, inc)
    run["lam_gazelle"], run["lam_unicorn"] = as_runs(g_rate, B), as_runs(u_rate, B)
    run["share_hitech"] = as_runs(entry.hitech_share(p, inc), B)
    run["log_med_entry"] = as_runs(mf.log(col(p, "entrant_revenue_median")), B)
    run["log_med_reloc"] = as_runs(mf.log(col(p, "relocated_revenue_median")), B)
    run["sigma_rev"] = per_run(p, "revenue_sigma", B)
    run["log_unicorn"] = as_runs(mf.log(uc["min_valuation"] / col(p, "valuation_multiple")), B)
    _draw_params(run, p, B)
    strategic_ids = np.flatnonzero(s["strategic_mask"])
    w = np.asarray(s["firm_shares"])[strategic_ids]
    bands, intensity = _hte_tables(crit)
    ev = np.zeros((3, B, N))
    pc.place_block(
        rng.stream_key_table(st.roots, pc.ARRIVAL_DRAWS, year), run,
        np.array([L.entry_start(year), L.reloc_start(year), L.settle_start(year)]),
        np.array([L.entry, L.reloc, L.settle]), np.cumsum(w) / w.sum(), strategic_ids,
        s["strategic_mask"], s["traditional"], mf.log(gz["bands"][0]),
        mf.log(gz["bands"][1] / gz["bands"][0]), crit["min_hitech_share"], bands, intensity,
        crit["validity_years"], float(crit["min_age_years"]),
        *_tax_tables(year, s["strategic_mask"].size),
        np.array([ORIGINS.index(o) for o in ("entrant", "relocated_hte", "settled_gazelle",
                                             "settled_unicorn")]),
        year, f["active"], f["sector"], f["origin"], f["age"], f["revenue"], f["rev_prev1"],
        f["rev_prev2"], f["rd"], f["rd_prev1"], f["rd_prev2"], f["kappa"], f["hts"],
        f["effort_mult"], f["margin"], f["claim_u"], f["price0"], f["entry_year"], f["hte"],
        f["ever_hte"], f["hte_left"], f["pat_stock"], f["gazelle"], f["unicorn"], ev[0],
        ev[1], ev[2], st.z["lost_entrants"])
    return {"hte_relocated": ev[0], "gazelle_settled": ev[1], "unicorn_settled": ev[2]}
