"""Enterprise rules: R&D, HTE status, patents, contracts, recognitions, growth, exit.

Every incentive enters as a price, a probability or a threshold, written where it acts.
"""

from __future__ import annotations

import numpy as np

from model import mathfn as mf
from model.behaviour.incentives import Incentives, salience
from model.params.registry import col
from model.params.rules import hte_rd_threshold, load_rules, super_deduction_rate
from model.rng import Streams, poisson_from_uniform


def rd_price(tax, sd, reward_rate=0.0):
    """After-tax price of one yuan of R&D: 1 - t(1 + s) - r·t·s (DESIGN.md's worked example)."""
    return 1.0 - tax * (1.0 + sd) - reward_rate * tax * sd


def tax_rate(hte: np.ndarray) -> np.ndarray:
    t = load_rules()["income_tax"]
    return np.where(hte, t["hte"], t["standard"])


def decide_rd(f: dict, p: dict, inc: Incentives, year: int) -> np.ndarray:
    """Desired R&D moves with price^(-elasticity) plus awards received; actual R&D adjusts.

    P7 pays r·t·s per yuan until its cap binds; beyond the cap the marginal reward is zero,
    so it no longer lowers the price.
    """
    tax = tax_rate(f["hte"])
    sd = super_deduction_rate(year, f["sector"])
    r7 = inc.value("P7", "rate")
    reward = r7 * tax * sd * f["rd"]
    r7_marginal = np.where(reward < inc.cap("P7", "cap_per_unit_year"), r7, 0.0)
    price = rd_price(tax, sd, r7_marginal)
    price0 = np.where(f["price0"] > 0, f["price0"], price)
    desired = (f["kappa"] * f["revenue"] * mf.power(price / price0, -col(p, "rd_price_elasticity"))
               + col(p, "award_rd_mpc") * f["award_last"])
    rd = f["rd"] + col(p, "rd_adjust_speed") * (desired - f["rd"])
    return np.where(f["active"], np.maximum(rd, 0.0), 0.0)


def decide_hte(f: dict, p: dict, inc: Incentives, year: int, rs: Streams):
    """Seek or renew HTE status when its benefit over three years beats the cost of qualifying.

    Only some eligible firms consider it in a given year (`hte_consider_prob`). A firm needs
    IP of its own behind its main products; one without a patent can acquire it (the 2016
    Measures accept IP obtained by transfer or acquisition) at `ip_acquisition_cost`.
    Benefit: the 10-point tax cut on profit for the validity period, plus P6c for a first
    certification. Cost: the application effort, the IP if needed, and the extra R&D needed
    to reach the threshold for its revenue band, net of what relabelling covers (Chen et al.
    2021), so firms bunch at the threshold.
    Returns (applied, certified_new, renewed, lapsed, new_rd, acquired_ip).
    """
    rules = load_rules()
    crit, tax = rules["hte_criteria"], rules["income_tax"]
    n = f["active"].shape[1]
    rev = f["revenue"]
    thr = hte_rd_threshold(rev)
    gap = np.maximum(thr * rev - f["rd"], 0.0)
    relabel = col(p, "relabel_share")
    years = crit["validity_years"]
    price = rd_price(tax["standard"], super_deduction_rate(year, f["sector"]))
    benefit = ((tax["standard"] - tax["hte"]) * col(p, "profit_margin") * rev * years
               + np.where(f["ever_hte"], 0.0, inc.value("P6c", "award")))
    no_ip = f["pat_stock"] < 1
    cost = (col(p, "hte_effort_cost") * f["effort_mult"]
            + years * gap * price * (1.0 - relabel)
            + np.where(no_ip, col(p, "ip_acquisition_cost"), 0.0))
    basic = (f["active"] & (f["age"] >= crit["min_age_years"])
             & (f["hts"] >= crit["min_hitech_share"]))
    due = f["hte"] & (f["hte_left"] <= 0)
    considers = due | (rs.u("hte_consider", n) < col(p, "hte_consider_prob"))
    seek = basic & (~f["hte"] | due) & considers & (benefit > cost)
    u = rs.u("hte_review", n)
    passed = seek & (u < np.where(due, col(p, "hte_renew_prob"), col(p, "hte_pass_prob")))
    new_rd = np.where(seek, f["rd"] + gap * (1.0 - relabel), f["rd"])
    certified_new = passed & ~f["hte"]
    renewed = passed & due
    lapsed = due & ~passed
    return seek, certified_new, renewed, lapsed, new_rd, seek & no_ip


def patents(f: dict, p: dict, inc: Incentives, rs: Streams, min_grants: float):
    """Grants from R&D with lags (inventions two years, utility models one).

    A firm whose expected grants fall just short of P8a's threshold times extra filings to
    reach it, with probability `patent_award_response`, when P8a pays.
    """
    n = f["active"].shape[1]
    lam_inv = col(p, "invention_grants_per_rd") * f["rd_prev2"]
    lam_util = col(p, "utility_grants_per_rd") * f["rd_prev1"]
    total = lam_inv + lam_util
    near = (total >= (1.0 - col(p, "threshold_bunching")) * min_grants) & (total < min_grants)
    push = near & (inc.value("P8a", "award") > 0) & (
        rs.u("patent_push", n) < col(p, "patent_award_response"))
    lam_util = lam_util + np.where(push, min_grants - total, 0.0)
    act = f["active"]
    inv = np.where(act, poisson_from_uniform(rs.u("patents_invention", n), lam_inv), 0)
    util = np.where(act, poisson_from_uniform(rs.u("patents_utility", n), lam_util), 0)
    return inv, util


def contracts(f: dict, p: dict, inc: Incentives, rs: Streams, k: int):
    """Technology purchase contracts, up to k a year, as (transfer or development, other
    types), each (B, n, k) amounts. Each contract slot's type is drawn first (a share
    `contract_covered_share` is transfer or development, the types P4 covers); a rate clause
    lowers the net price, and so raises the chance of signing, only for the types it pays the
    buyer for (`Incentives.rate_on`: none under p4_beneficiary = seller)."""
    n = f["active"].shape[1]
    rel = np.minimum(f["rd"] / np.maximum(f["revenue"], 1e-9)
                     / col(p, "rd_intensity_median_hitech"), 3.0)
    base = col(p, "contract_prob") * rel
    el = -col(p, "contract_price_elasticity")
    prob_cov = base * mf.power(1.0 - inc.rate_on("tech_contract"), el)  # P4, any voucher
    prob_oth = base * mf.power(1.0 - inc.rate_on("tech_contract_other"), el)
    u = rs.u("contract", n * k).reshape(-1, n, k)
    covered = rs.u("contract_type", n * k).reshape(-1, n, k) < np.expand_dims(
        col(p, "contract_covered_share"), -1)
    z = rs.z("contract_amount", n * k).reshape(-1, n, k)
    has = f["active"][:, :, None] & (u < np.where(covered, prob_cov[:, :, None],
                                                  prob_oth[:, :, None]))
    med, sig = (np.expand_dims(col(p, k), -1) for k in ("contract_amount_median",
                                                         "contract_amount_sigma"))
    amount = med * mf.exp(sig * z)
    return np.where(has & covered, amount, 0.0), np.where(has & ~covered, amount, 0.0)


def recognitions(f: dict, p: dict, inc: Incentives, rs: Streams) -> dict[str, np.ndarray]:
    """Platforms, workstations, standards, off-site R&D, bases, talent, breakthroughs.

    Each is sought with a base probability raised by the award's salience (award / effort).
    """
    n = f["active"].shape[1]
    act = f["active"]
    hte = act & f["hte"]  # a firm keeps its certificate after leaving, but no longer applies
    big = act & (f["revenue"] >= col(p, "large_firm_revenue"))
    s = load_rules()["sectors"]["strategic_mask"][f["sector"]]
    ev: dict[str, np.ndarray] = {}
    u = rs.u("platform_regional", n)
    ev["platform_regional"] = act & (f["rd"] >= col(p, "platform_min_rd")) & (
        u < col(p, "platform_regional_prob") * salience(inc.value("P9a", "award_regional"), p))
    u = rs.u("platform_national", n)
    ev["platform_national"] = act & (f["platforms_reg"] > 0) & (
        u < col(p, "platform_national_prob") * salience(inc.value("P9a", "award_national"), p))

    u, u2 = rs.u("workstation", n), rs.u("workstation_type", n)
    aca, pb = col(p, "academician_share"), col(p, "practice_base_share")
    mean_ws = (aca * inc.value("P9b", "award_academician")
               + pb * inc.value("P9b", "award_practice_base")
               + (1 - aca - pb) * inc.value("P9b", "award_postdoc"))
    ws = hte & (u < col(p, "workstation_prob") * salience(mean_ws, p))
    ev["academician_workstation"] = ws & (u2 < aca)
    ev["postdoc_practice_base"] = ws & (u2 >= aca) & (u2 < aca + pb)
    ev["postdoc_workstation"] = ws & (u2 >= aca + pb)

    u, u2 = rs.u("standard", n), rs.u("standard_level", n)
    sn, si = col(p, "standard_national_share"), col(p, "standard_industry_share")
    mean_std = (sn * inc.value("P8b", "award_national") + si * inc.value("P8b", "award_industry")
                + (1 - sn - si) * inc.value("P8b", "award_local"))
    std = hte & (u < col(p, "standard_prob") * salience(mean_std, p))
    ev["standard_national"] = std & (u2 < sn)
    ev["standard_industry"] = std & (u2 >= sn) & (u2 < sn + si)
    ev["standard_local"] = std & (u2 >= sn + si)

    # off-site R&D (P11): investment near the minimum is raised to it when the award pays
    inv = col(p, "offsite_investment_median") * mf.exp(col(p, "revenue_sigma") * 0.5
                                                       * rs.z("offsite_amount", n))
    p11_min = inc.cap("P11", "min_amount")
    rate11 = inc.value("P11", "rate")
    bunch = (rate11 > 0) & (inv >= (1 - col(p, "threshold_bunching")) * p11_min) & (inv < p11_min)
    inv = np.where(bunch, p11_min, inv)
    exp11 = np.where(inv >= p11_min, np.minimum(rate11 * inv, inc.cap("P11", "cap_per_item")), 0)
    off = big & (rs.u("offsite", n) < col(p, "offsite_rd_prob") * salience(exp11, p))
    ev["offsite_rd_platform"] = np.where(off, inv, 0.0)

    binv = col(p, "base_investment_median") * mf.exp(0.5 * rs.z("base_amount", n))
    exp5 = np.minimum(inc.value("P5", "rate") * binv, inc.cap("P5", "cap_per_item"))
    base = big & s & (rs.u("industrialization_base", n)
                      < col(p, "industrialization_base_prob") * salience(exp5, p))
    ev["industrialization_base"] = np.where(base, binv, 0.0)

    ev["talent_introduced"] = hte & (
        rs.u("talent", n) < col(p, "talent_prob") * salience(inc.value("P1", "award"), p))
    ev["major_breakthrough"] = act & (f["rd"] >= col(p, "breakthrough_min_rd")) & (
        rs.u("breakthrough_firm", n) < col(p, "breakthrough_prob")
        * salience(inc.schedule_value("P3", p), p))
    return {k: v.astype(np.float64) for k, v in ev.items()}


def grow(f: dict, p: dict, rs: Streams) -> np.ndarray:
    """Log revenue growth: sector trend, R&D (Chen et al. 2021), equity investment, noise."""
    n = f["active"].shape[1]
    s = load_rules()["sectors"]["strategic_mask"][f["sector"]]
    trend = np.where(s, col(p, "growth_hitech"), col(p, "growth_traditional"))
    rd_change = mf.log(np.maximum(f["rd"], 1e-6) / np.maximum(f["rd_prev1"], 1e-6))
    g = (trend + col(p, "rd_productivity_elasticity") * np.clip(rd_change, -1.0, 1.0)
         + col(p, "investment_growth_boost") * (f["invested_last"] > 0)
         + col(p, "growth_sd") * rs.z("growth", n))
    return np.where(f["active"], g, 0.0)


def listings(f: dict, p: dict, rs: Streams):
    """Zone firms newly listed as gazelles or unicorns on last year's growth (the national
    tests in rules.toml)."""
    n = f["active"].shape[1]
    r = load_rules()
    gz, uc = r["gazelle"], r["unicorn"]
    rev, g = f["revenue"], f["growth_last"]
    lo, mid, hi = gz["bands"]
    crit = (f["age"] <= gz["max_age_years"]) & (
        ((rev >= lo) & (rev < mid) & (g >= gz["min_growth"][0]))
        | ((rev >= mid) & (rev < hi) & (g >= gz["min_growth"][1])))
    u = rs.u("listing", n)
    gazelle = f["active"] & ~f["gazelle"] & crit & (u < col(p, "gazelle_list_prob"))
    uni_crit = ((f["age"] <= uc["max_age_years"])
                & (rev * col(p, "valuation_multiple") >= uc["min_valuation"]))
    unicorn = f["active"] & ~f["unicorn"] & uni_crit & (u < col(p, "gazelle_list_prob"))
    return gazelle, unicorn


def exits(f: dict, p: dict, rs: Streams) -> np.ndarray:
    """Firms leaving the zone: the base rate, halved for firms above 1 亿 revenue."""
    n = f["active"].shape[1]
    big = f["revenue"] >= col(p, "large_firm_revenue")
    rate = col(p, "exit_rate") * np.where(big, 0.5, 1.0)
    return f["active"] & (rs.u("exit", n) < rate)
