"""Enterprise rules: R&D, HTE status, patents, contracts, recognitions, growth, exit.

Every incentive enters as a price, a probability or a threshold, written where it acts.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from model import mathfn as mf
from model.behaviour import background
from model.behaviour.incentives import Incentives, salience
from model.params.registry import col
from model.params.rules import hte_rd_threshold, load_rules, super_deduction_rate
from model.rng import Streams, poisson_from_uniform

# numerical guard: a seeker's gap fill lands on the real threshold only up to rounding, so the
# reporting rule accepts a three-year intensity within this relative distance below it
REPORT_TOLERANCE = 1e-9


def rd_price(tax, sd, reward_rate=0.0):
    """After-tax price of one yuan of R&D: 1 - t(1 + s) - r·t·s (DESIGN.md's worked example)."""
    return 1.0 - tax * (1.0 + sd) - reward_rate * tax * sd


def tax_rate(hte: np.ndarray) -> np.ndarray:
    t = load_rules()["income_tax"]
    return np.where(hte, t["hte"], t["standard"])


def taxed(tax, margin):
    """The tax rate a deduction saves: the firm's rate if it makes a profit, else 0 (a
    loss-maker pays no income tax, so neither the super-deduction nor HTE status saves it any)."""
    return np.where(margin > 0, tax, 0.0)


def size_band(revenue) -> np.ndarray:
    """0 small, 1 medium, 2 large, by revenue (rules.toml [firm_size], NBS 2017)."""
    return np.searchsorted(load_rules()["firm_size"]["revenue_bands"], revenue, side="right")


def takeup(revenue, hte, p: dict):
    """Chance a firm claims the super-deduction: by size band, or the HTEs' own."""
    band = size_band(revenue)
    by_size = np.where(band == 0, col(p, "p7_takeup_small"),
                       np.where(band == 1, col(p, "p7_takeup_medium"), col(p, "p7_takeup_large")))
    return np.where(hte, col(p, "p7_takeup_hte"), by_size)


def claims(f: dict, p: dict) -> np.ndarray:
    """Whether each firm claims the super-deduction this year: its persistent draw `claim_u`
    against the take-up of its size band and status (it changes only when those do)."""
    return f["claim_u"] < takeup(f["revenue"], f["hte"], p)


def tax_saved(tau, sdc, rd, margin, revenue):
    """Tax the super-deduction saves: tau · min(s·c · rd, taxable profit), with tau the rate
    it saves (`taxed`) and s·c the deduction rate of a claiming firm (0 if it does not claim).
    This is the `rd_super_deduction` event, P7's base."""
    return tau * np.minimum(sdc * rd, np.maximum(margin * revenue, 0.0))


def super_deduction(f: dict, p: dict, year: int) -> np.ndarray:
    """The `rd_super_deduction` event of the year, P7's base: the tax each active firm saves
    by the super-deduction (0 if it does not claim or makes no taxable profit)."""
    tau = taxed(tax_rate(f["hte"]), f["margin"])
    sdc = super_deduction_rate(year, f["sector"]) * claims(f, p)
    return np.where(f["active"], tax_saved(tau, sdc, f["rd"], f["margin"], f["revenue"]), 0.0)


def decide_rd(f: dict, p: dict, inc: Incentives, year: int) -> np.ndarray:
    """Desired R&D moves with price^(-elasticity) plus awards received; actual R&D adjusts.

    The price is 1 - tau (1 + s·c) - r7 · tau · s·c: tau the tax rate a deduction saves (0 for a
    loss-maker), s·c the super-deduction of a claiming firm. P7 pays r7 of the tax saved until
    its cap binds; beyond the cap the marginal reward is zero, so it no longer lowers the price.
    """
    tau = taxed(tax_rate(f["hte"]), f["margin"])
    sdc = super_deduction_rate(year, f["sector"]) * claims(f, p)
    r7 = inc.value("P7", "rate")
    reward = r7 * tax_saved(tau, sdc, f["rd"], f["margin"], f["revenue"])
    r7_marginal = np.where(reward < inc.cap("P7", "cap_per_unit_year"), r7, 0.0)
    price = rd_price(tau, sdc, r7_marginal)
    price0 = np.where(f["price0"] > 0, f["price0"], price)
    desired = (f["kappa"] * f["revenue"] * mf.power(price / price0, -col(p, "rd_price_elasticity"))
               + col(p, "award_rd_mpc") * f["award_last"])
    rd = f["rd"] + col(p, "rd_adjust_speed") * (desired - f["rd"])
    return np.where(f["active"], np.maximum(rd, 0.0), 0.0)


def window(f: dict) -> tuple[np.ndarray, np.ndarray]:
    """R&D and revenue summed over the last three years (this year and the two before), the
    window of the 2016 Measures' R&D test (a young firm's lags repeat its first year)."""
    return (f["rd"] + f["rd_prev1"] + f["rd_prev2"],
            f["revenue"] + f["rev_prev1"] + f["rev_prev2"])


def reported_intensity(i3, revenue, claimant, relabel):
    """The three-year R&D intensity a firm reports (the statistic of Chen et al. 2021).

    A firm seeking or holding HTE status (`claimant`) whose real intensity i3 lies in
    [thr (1 - relabel), thr) relabels other costs up to the threshold thr of its revenue band
    and reports exactly thr; every other firm reports its real intensity. So reported
    intensity piles up at each threshold with a hole just below it (bunching)."""
    thr = hte_rd_threshold(revenue)
    lifted = claimant & (i3 < thr) & (i3 >= thr * (1.0 - relabel) * (1.0 - REPORT_TOLERANCE))
    return np.where(lifted, thr, i3)


class HteDecision(NamedTuple):
    seek: np.ndarray  # applied (a first application, or a due HTE renewing)
    certified_new: np.ndarray  # a non-HTE certified (first time, or again after a lapse)
    renewed: np.ndarray
    lapsed: np.ndarray
    new_rd: np.ndarray  # R&D after seekers filled their gap
    acquired_ip: np.ndarray  # seekers without a patent buy one
    reported_i3: np.ndarray  # three-year R&D intensity as reported (0 for firms not active)


def decide_hte(f: dict, p: dict, inc: Incentives, year: int, rs: Streams) -> HteDecision:
    """Seek or renew HTE status when its benefit over three years beats the cost of qualifying.

    The 2016 Measures: R&D over the last three years (`window`) at least the threshold of the
    current revenue band; a firm seeking or holding status may report up to rd / (1 - relabel)
    (Chen et al. 2021), so the real test is sum(rd) >= thr (1 - relabel) sum(revenue). A
    seeker fills its real gap in this year's R&D (the window is two-thirds past). Only some
    eligible firms consider it in a given year; due HTEs always do. A firm needs IP of its own
    behind its main products; one without a patent acquires it (the 2016 Measures accept IP
    obtained by transfer or acquisition) at `ip_acquisition_cost`.
    Benefit over the validity years: the 10-point tax cut on taxable profit only, the non-tax
    value of status, P6c (first certification; also a lapsed firm's new one under the
    `p6c_recertified` switch), and from 2022 the regional fund's award and R&D award.
    Cost: the application effort (lowered by the regional campaign from 2022), the gap's R&D
    at its after-tax price, and the IP if needed.
    """
    rules = load_rules()
    crit, tax = rules["hte_criteria"], rules["income_tax"]
    n = f["active"].shape[1]
    rev, margin = f["revenue"], f["margin"]
    rd3, rev3 = window(f)
    relabel = col(p, "relabel_share")
    gap = np.maximum(hte_rd_threshold(rev) * (1.0 - relabel) * rev3 - rd3, 0.0)
    years = crit["validity_years"]
    fund = background.weight(p, "regional_hte_fund", year)
    campaign = background.weight(p, "regional_doubling_campaign", year)
    sdc = super_deduction_rate(year, f["sector"]) * claims(f, p)
    price = rd_price(taxed(tax["standard"], margin), sdc)
    new_rd = f["rd"] + gap
    each = inc.policy.switch("p6c_recertified") == "each_new_certification"
    first = ~f["ever_hte"]
    regional = fund * (np.where(first, col(p, "regional_award_new_hte"),
                                col(p, "regional_award_recert_hte"))
                       + np.minimum(col(p, "regional_rd_award_rate") * new_rd,
                                    col(p, "regional_rd_award_cap")) * years)
    benefit = ((tax["standard"] - tax["hte"]) * np.maximum(margin, 0.0) * rev * years
               + col(p, "hte_nontax_benefit") * years
               + np.where(first | (each & ~f["hte"]), inc.value("P6c", "award"), 0.0)
               + regional)
    no_ip = f["pat_stock"] < 1
    cost = (col(p, "hte_effort_cost") * f["effort_mult"]
            * (1.0 - col(p, "campaign_cost_reduction") * campaign)
            + gap * price
            + np.where(no_ip, col(p, "ip_acquisition_cost"), 0.0))
    basic = (f["active"] & (f["age"] >= crit["min_age_years"])
             & (f["hts"] >= crit["min_hitech_share"]))
    due = f["hte"] & (f["hte_left"] <= 0)
    consider = np.minimum(col(p, "hte_consider_prob")
                          + col(p, "campaign_consider_boost") * campaign, 1.0)
    considers = due | (rs.u("hte_consider", n) < consider)
    seek = basic & (~f["hte"] | due) & considers & (benefit > cost)
    u = rs.u("hte_review", n)
    passed = seek & (u < np.where(due, col(p, "hte_renew_prob"), col(p, "hte_pass_prob")))
    new_rd = np.where(seek, new_rd, f["rd"])
    i3 = (new_rd + f["rd_prev1"] + f["rd_prev2"]) / np.maximum(rev3, 1e-9)  # 1e-9: a guard
    claimant = seek | (f["hte"] & ~due)
    reported = np.where(f["active"], reported_intensity(i3, rev, claimant, relabel), 0.0)
    return HteDecision(seek, passed & ~f["hte"], passed & due, due & ~passed, new_rd,
                       seek & no_ip, reported)


def regional_awards(f: dict, p: dict, year: int, first: np.ndarray,
                    again: np.ndarray) -> np.ndarray:
    """What the regional HTE fund pays each firm this year (万元, from 2022, region's money):
    its award for a first certification (`first`) or a renewed one or one after a lapse
    (`again`), plus min(rate · R&D, cap) to every active HTE. `f` after the year's
    certification, renewal and lapse."""
    cert = np.where(first, col(p, "regional_award_new_hte"),
                    np.where(again, col(p, "regional_award_recert_hte"), 0.0))
    rd_award = np.where(f["active"] & f["hte"],
                        np.minimum(col(p, "regional_rd_award_rate") * f["rd"],
                                   col(p, "regional_rd_award_cap")), 0.0)
    return background.weight(p, "regional_hte_fund", year) * (cert + rd_award)


def adjust_hts(f: dict, p: dict) -> np.ndarray:
    """The high-tech product share moves toward h*(I3) = I3 / (I3 + half) with the three-year
    R&D intensity I3 (`window`), at `hts_adjust_speed` a year; traditional firms keep 0."""
    rd3, rev3 = window(f)
    i3 = rd3 / np.maximum(rev3, 1e-9)  # 1e-9: a guard for empty slots
    strategic = load_rules()["sectors"]["strategic_mask"][f["sector"]]
    target = i3 / (i3 + col(p, "hts_half_intensity"))
    return np.where(f["active"] & strategic,
                    f["hts"] + col(p, "hts_adjust_speed") * (target - f["hts"]), f["hts"])


def patents(f: dict, p: dict, inc: Incentives, rs: Streams, min_grants: float):
    """Grants from R&D with lags (inventions two years, utility models one), and design
    patents, a share `design_patent_share` of a firm's expected grants.

    A firm whose expected grants (all three types, as P8a counts them) fall just short of
    P8a's threshold times extra utility-model filings to reach it, with probability
    `patent_award_response`, when P8a pays. Returns (inventions, utility models, designs).
    """
    n = f["active"].shape[1]
    lam_inv = col(p, "invention_grants_per_rd") * f["rd_prev2"]
    lam_util = col(p, "utility_grants_per_rd") * f["rd_prev1"]
    d = col(p, "design_patent_share")
    lam_des = d / (1.0 - d) * (lam_inv + lam_util)
    total = lam_inv + lam_util + lam_des
    near = (total >= (1.0 - col(p, "threshold_bunching")) * min_grants) & (total < min_grants)
    push = near & (inc.value("P8a", "award") > 0) & (
        rs.u("patent_push", n) < col(p, "patent_award_response"))
    lam_util = lam_util + np.where(push, min_grants - total, 0.0)
    act = f["active"]
    inv = np.where(act, poisson_from_uniform(rs.u("patents_invention", n), lam_inv), 0)
    util = np.where(act, poisson_from_uniform(rs.u("patents_utility", n), lam_util), 0)
    des = np.where(act, poisson_from_uniform(rs.u("patents_design", n), lam_des), 0)
    return inv, util, des


def contracts(f: dict, p: dict, inc: Incentives, rs: Streams, k: int):
    """Technology purchase contracts, up to k a year, as (transfer or development, other
    types), each (B, n, k) amounts. Each contract slot's type is drawn first (a share
    `contract_covered_share` is transfer or development, the types P4 covers); a rate clause
    lowers the net price, and so raises the chance of signing, only for the types it pays the
    buyer for (`Incentives.rate_on`: none under p4_beneficiary = seller)."""
    n = f["active"].shape[1]
    rel = np.minimum(f["rd"] / np.maximum(f["revenue"], 1e-9)  # 1e-9: a guard
                     / col(p, "rd_intensity_median_hitech"), col(p, "contract_rd_intensity_cap"))
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
    inv = col(p, "offsite_investment_median") * mf.exp(col(p, "offsite_investment_sigma")
                                                       * rs.z("offsite_amount", n))
    p11_min = inc.cap("P11", "min_amount")
    rate11 = inc.value("P11", "rate")
    bunch = (rate11 > 0) & (inv >= (1 - col(p, "threshold_bunching")) * p11_min) & (inv < p11_min)
    inv = np.where(bunch, p11_min, inv)
    exp11 = np.where(inv >= p11_min, np.minimum(rate11 * inv, inc.cap("P11", "cap_per_item")), 0)
    off = big & (rs.u("offsite", n) < col(p, "offsite_rd_prob") * salience(exp11, p))
    ev["offsite_rd_platform"] = np.where(off, inv, 0.0)

    binv = col(p, "base_investment_median") * mf.exp(col(p, "base_investment_sigma")
                                                     * rs.z("base_amount", n))
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
    rd_change = mf.log(np.maximum(f["rd"], 1e-6) / np.maximum(f["rd_prev1"], 1e-6))  # guards
    clip = col(p, "rd_growth_change_clip")
    g = (trend + col(p, "rd_productivity_elasticity") * np.clip(rd_change, -clip, clip)
         + col(p, "investment_growth_boost") * (f["invested_last"] > 0)
         + col(p, "growth_sd") * rs.z("growth", n))
    return np.where(f["active"], g, 0.0)


def listings(f: dict, p: dict, rs: Streams):
    """Zone firms newly listed as gazelles or unicorns on last year's growth (the national
    tests in rules.toml); one draw per firm serves both lists."""
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
    unicorn = f["active"] & ~f["unicorn"] & uni_crit & (u < col(p, "unicorn_list_prob"))
    return gazelle, unicorn


def exits(f: dict, p: dict, rs: Streams) -> np.ndarray:
    """Firms leaving the zone: the base rate, times `large_firm_exit_factor` for large firms."""
    n = f["active"].shape[1]
    big = f["revenue"] >= col(p, "large_firm_revenue")
    rate = col(p, "exit_rate") * np.where(big, col(p, "large_firm_exit_factor"), 1.0)
    return f["active"] & (rs.u("exit", n) < rate)
