"""The behaviour functions as numba kernels: one pass over the runs and slots of a year,
instead of dozens of NumPy passes, for the batch engine.

Each function here has the signature of its NumPy reference (model.behaviour.enterprise,
investor, institute) and returns the same bits: the same expressions in the same order,
the same random numbers (a draw is a hash of its slot, so a kernel draws only for the slots
that need one), and NumPy's summation order where a sum is taken (model.numerics). The
references are what the model *is*; ParkModel runs them, and tests hold these kernels to
them on every output. A change of behaviour is made in the reference first, then here.

Per-run values (parameters, award values) are computed in NumPy exactly as the reference
computes them and passed as (B,) vectors; per-slot arithmetic happens in the kernels.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from model.behaviour.incentives import Incentives, salience
from model.numerics import pairwise_sum
from model.params.registry import col
from model.params.rules import load_rules, super_deduction_rate
from model.rng import Streams, _hash_unit, _ndtri, _poisson_one, stream_keys
from model.state import INVESTOR_TYPES

_F = np.float64


def _runs(v, B: int) -> np.ndarray:
    """A scalar or per-run value as a contiguous (B,) float64 vector."""
    return np.ascontiguousarray(np.broadcast_to(np.asarray(v, _F).reshape(-1, 1), (B, 1))[:, 0])


def _keys(rs: Streams, *names: str) -> np.ndarray:
    """Stream keys (len(names), B) of the year's decisions."""
    return np.stack([stream_keys(rs.roots, n, rs.year) for n in names])


def _sector_table(year: int) -> np.ndarray:
    """The super-deduction rate of each sector in `year`."""
    return super_deduction_rate(year, np.arange(len(load_rules()["sectors"]["names"])))


def _thresholds() -> tuple[float, float, float, float, float]:
    c = load_rules()["hte_criteria"]
    (b0, b1), (r0, r1, r2) = c["revenue_bands"], c["rd_intensity"]
    return b0, b1, r0, r1, r2


@nb.njit(cache=True, inline="always")
def _rd_threshold(rev, b0, b1, r0, r1, r2):
    """hte_rd_threshold for one firm (searchsorted, side="left")."""
    if rev <= b0:
        return r0
    if rev <= b1:
        return r1
    return r2


# -- R&D --------------------------------------------------------------------------------------
def decide_rd(f: dict, p: dict, inc: Incentives, year: int) -> np.ndarray:
    B = f["active"].shape[0]
    t = load_rules()["income_tax"]
    return _decide_rd(f["active"], f["hte"], f["sector"], f["rd"], f["kappa"], f["revenue"],
                      f["price0"], f["award_last"], _sector_table(year), t["hte"], t["standard"],
                      _runs(inc.value("P7", "rate"), B),
                      _runs(inc.cap("P7", "cap_per_unit_year"), B),
                      _runs(-col(p, "rd_price_elasticity"), B), _runs(col(p, "award_rd_mpc"), B),
                      _runs(col(p, "rd_adjust_speed"), B))


@nb.njit(cache=True)
def _decide_rd(active, hte, sector, rd, kappa, rev, price0, award_last, sdr, t_hte, t_std,
               r7, cap7, neg_el, mpc, speed):
    B, n = active.shape
    out = np.zeros((B, n))
    for b in range(B):
        for i in range(n):
            if not active[b, i]:
                continue
            tax = t_hte if hte[b, i] else t_std
            sd = sdr[sector[b, i]]
            reward = r7[b] * tax * sd * rd[b, i]
            r7m = r7[b] if reward < cap7[b] else 0.0
            price = 1.0 - tax * (1.0 + sd) - r7m * tax * sd
            p0 = price0[b, i] if price0[b, i] > 0 else price
            desired = (kappa[b, i] * rev[b, i] * (price / p0) ** neg_el[b]
                       + mpc[b] * award_last[b, i])
            x = rd[b, i] + speed[b] * (desired - rd[b, i])
            out[b, i] = max(x, 0.0)
    return out


# -- HTE status -------------------------------------------------------------------------------
def decide_hte(f: dict, p: dict, inc: Incentives, year: int, rs: Streams):
    B = f["active"].shape[0]
    rules = load_rules()
    crit, tax = rules["hte_criteria"], rules["income_tax"]
    years = crit["validity_years"]
    gain = _runs((tax["standard"] - tax["hte"]) * col(p, "profit_margin"), B)
    return _decide_hte(
        f["active"], f["hte"], f["ever_hte"], f["hte_left"], f["age"], f["hts"], f["sector"],
        f["revenue"], f["rd"], f["pat_stock"], f["effort_mult"], _sector_table(year),
        tax["standard"], *_thresholds(), float(years), float(crit["min_age_years"]),
        float(crit["min_hitech_share"]), gain, _runs(inc.value("P6c", "award"), B),
        _runs(col(p, "relabel_share"), B), _runs(col(p, "hte_effort_cost"), B),
        _runs(col(p, "ip_acquisition_cost"), B), _runs(col(p, "hte_consider_prob"), B),
        _runs(col(p, "hte_renew_prob"), B), _runs(col(p, "hte_pass_prob"), B),
        _keys(rs, "hte_consider", "hte_review"))


@nb.njit(cache=True)
def _decide_hte(active, hte, ever, left, age, hts, sector, rev, rd, pat, mult, sdr, t_std,
                b0, b1, r0, r1, r2, years, min_age, min_share, gain, p6c, relabel, effort,
                ip_cost, consider_p, renew_p, pass_p, keys):
    B, n = active.shape
    seek = np.zeros((B, n), np.bool_)
    new = np.zeros((B, n), np.bool_)
    renewed = np.zeros((B, n), np.bool_)
    lapsed = np.zeros((B, n), np.bool_)
    bought = np.zeros((B, n), np.bool_)
    new_rd = rd.copy()
    for b in range(B):
        for i in range(n):
            due = hte[b, i] and left[b, i] <= 0
            basic = active[b, i] and age[b, i] >= min_age and hts[b, i] >= min_share
            if not (basic and (not hte[b, i] or due)):
                lapsed[b, i] = due
                continue
            if not due and not _hash_unit(keys[0, b], i) < consider_p[b]:
                continue
            r = rev[b, i]
            gap = max(_rd_threshold(r, b0, b1, r0, r1, r2) * r - rd[b, i], 0.0)
            price = 1.0 - t_std * (1.0 + sdr[sector[b, i]])
            benefit = gain[b] * r * years + (0.0 if ever[b, i] else p6c[b])
            no_ip = pat[b, i] < 1
            cost = (effort[b] * mult[b, i] + years * gap * price * (1.0 - relabel[b])
                    + (ip_cost[b] if no_ip else 0.0))
            if not benefit > cost:
                lapsed[b, i] = due
                continue
            seek[b, i] = True
            bought[b, i] = no_ip
            new_rd[b, i] = rd[b, i] + gap * (1.0 - relabel[b])
            passed = _hash_unit(keys[1, b], i) < (renew_p[b] if due else pass_p[b])
            new[b, i] = passed and not hte[b, i]
            renewed[b, i] = passed and due
            lapsed[b, i] = due and not passed
    return seek, new, renewed, lapsed, new_rd, bought


# -- patents ----------------------------------------------------------------------------------
def patents(f: dict, p: dict, inc: Incentives, rs: Streams, min_grants):
    B = f["active"].shape[0]
    mg = _runs(min_grants, B)
    return _patents(f["active"], f["rd_prev1"], f["rd_prev2"],
                    _runs(col(p, "invention_grants_per_rd"), B),
                    _runs(col(p, "utility_grants_per_rd"), B),
                    _runs((1.0 - col(p, "threshold_bunching")) * min_grants, B), mg,
                    np.asarray(inc.value("P8a", "award") > 0).reshape(-1) & np.ones(B, bool),
                    _runs(col(p, "patent_award_response"), B),
                    _keys(rs, "patent_push", "patents_invention", "patents_utility"))


@nb.njit(cache=True)
def _patents(active, rd1, rd2, per_inv, per_util, near_lo, mg, pays, response, keys):
    B, n = active.shape
    inv = np.zeros((B, n), np.int64)
    util = np.zeros((B, n), np.int64)
    for b in range(B):
        for i in range(n):
            if not active[b, i]:
                continue
            lam_inv = per_inv[b] * rd2[b, i]
            lam_util = per_util[b] * rd1[b, i]
            total = lam_inv + lam_util
            if (total >= near_lo[b] and total < mg[b] and pays[b]
                    and _hash_unit(keys[0, b], i) < response[b]):
                lam_util = lam_util + (mg[b] - total)
            inv[b, i] = _poisson_one(_hash_unit(keys[1, b], i), lam_inv, 30.0)
            util[b, i] = _poisson_one(_hash_unit(keys[2, b], i), lam_util, 30.0)
    return inv, util


# -- technology contracts ---------------------------------------------------------------------
def contracts(f: dict, p: dict, inc: Incentives, rs: Streams, k: int) -> np.ndarray:
    B = f["active"].shape[0]
    net_price = 1.0 - inc.rate_on("tech_contract")
    return _contracts(f["active"], f["rd"], f["revenue"], k,
                      _runs(col(p, "rd_intensity_median_hitech"), B),
                      _runs(col(p, "contract_prob"), B),
                      _runs(net_price ** -col(p, "contract_price_elasticity"), B),
                      _runs(col(p, "contract_amount_median"), B),
                      _runs(col(p, "contract_amount_sigma"), B),
                      _keys(rs, "contract", "contract_amount"))


@nb.njit(cache=True)
def _contracts(active, rd, rev, k, med_int, prob0, price_term, med, sig, keys):
    B, n = active.shape
    out = np.zeros((B, n, k))
    for b in range(B):
        for i in range(n):
            if not active[b, i]:
                continue
            rel = min(rd[b, i] / max(rev[b, i], 1e-9) / med_int[b], 3.0)
            prob = prob0[b] * rel * price_term[b]
            for j in range(k):
                if _hash_unit(keys[0, b], i * k + j) < prob:
                    out[b, i, j] = med[b] * np.exp(sig[b] * _ndtri(_hash_unit(keys[1, b],
                                                                              i * k + j)))
    return out


# -- recognitions -----------------------------------------------------------------------------
_REC = ("platform_regional", "platform_national", "academician_workstation",
        "postdoc_practice_base", "postdoc_workstation", "standard_national",
        "standard_industry", "standard_local", "offsite_rd_platform", "industrialization_base",
        "talent_introduced", "major_breakthrough")
_REC_DRAWS = ("platform_regional", "platform_national", "workstation", "workstation_type",
              "standard", "standard_level", "offsite_amount", "offsite", "base_amount",
              "industrialization_base", "talent", "breakthrough_firm")


def recognitions(f: dict, p: dict, inc: Incentives, rs: Streams) -> dict[str, np.ndarray]:
    B = f["active"].shape[0]
    s = load_rules()["sectors"]["strategic_mask"]
    aca, pb = col(p, "academician_share"), col(p, "practice_base_share")
    mean_ws = (aca * inc.value("P9b", "award_academician")
               + pb * inc.value("P9b", "award_practice_base")
               + (1 - aca - pb) * inc.value("P9b", "award_postdoc"))
    sn, si = col(p, "standard_national_share"), col(p, "standard_industry_share")
    mean_std = (sn * inc.value("P8b", "award_national") + si * inc.value("P8b", "award_industry")
                + (1 - sn - si) * inc.value("P8b", "award_local"))
    p11_min = inc.cap("P11", "min_amount")
    run = [  # per-run values, in the kernel's order
        col(p, "large_firm_revenue"), col(p, "platform_min_rd"),
        col(p, "platform_regional_prob") * salience(inc.value("P9a", "award_regional"), p),
        col(p, "platform_national_prob") * salience(inc.value("P9a", "award_national"), p),
        col(p, "workstation_prob") * salience(mean_ws, p), aca, aca + pb,
        col(p, "standard_prob") * salience(mean_std, p), sn, sn + si,
        col(p, "offsite_investment_median"), col(p, "revenue_sigma") * 0.5,
        (1 - col(p, "threshold_bunching")) * p11_min, p11_min, inc.value("P11", "rate"),
        inc.cap("P11", "cap_per_item"), col(p, "offsite_rd_prob"), col(p, "award_salience"),
        col(p, "recognition_effort_cost"), col(p, "base_investment_median"),
        inc.value("P5", "rate"), inc.cap("P5", "cap_per_item"),
        col(p, "industrialization_base_prob"),
        col(p, "talent_prob") * salience(inc.value("P1", "award"), p),
        col(p, "breakthrough_min_rd"),
        col(p, "breakthrough_prob") * salience(inc.schedule_total("P3"), p),
    ]
    P = np.ascontiguousarray(np.stack([_runs(v, B) for v in run], axis=1))
    out = _recognitions(f["active"], f["hte"], f["revenue"], f["rd"], f["platforms_reg"],
                        s[f["sector"]], P, _keys(rs, *_REC_DRAWS))
    return dict(zip(_REC, out, strict=True))


@nb.njit(cache=True)
def _recognitions(active, hte, rev, rd, plat_reg, strategic, P, keys):
    B, n = active.shape
    ev = np.zeros((12, B, n))
    for b in range(B):
        (large, pmin, thr_pr, thr_pn, thr_ws, aca, acapb, thr_std, sn, snsi, off_med,
         off_sig, p11_lo, p11_min, rate11, cap11, off_prob, sal, cost, base_med, rate5, cap5,
         base_prob, thr_talent, bt_min, thr_bt) = P[b]
        for i in range(n):
            if not active[b, i]:
                continue
            big = rev[b, i] >= large
            if rd[b, i] >= pmin and _hash_unit(keys[0, b], i) < thr_pr:
                ev[0, b, i] = 1.0
            if plat_reg[b, i] > 0 and _hash_unit(keys[1, b], i) < thr_pn:
                ev[1, b, i] = 1.0
            if hte[b, i]:
                if _hash_unit(keys[2, b], i) < thr_ws:
                    u2 = _hash_unit(keys[3, b], i)
                    ev[2 if u2 < aca else 3 if u2 < acapb else 4, b, i] = 1.0
                if _hash_unit(keys[4, b], i) < thr_std:
                    u2 = _hash_unit(keys[5, b], i)
                    ev[5 if u2 < sn else 6 if u2 < snsi else 7, b, i] = 1.0
                if _hash_unit(keys[10, b], i) < thr_talent:
                    ev[10, b, i] = 1.0
            if big:
                inv = off_med * np.exp(off_sig * _ndtri(_hash_unit(keys[6, b], i)))
                if rate11 > 0 and inv >= p11_lo and inv < p11_min:
                    inv = p11_min
                exp11 = min(rate11 * inv, cap11) if inv >= p11_min else 0.0
                if _hash_unit(keys[7, b], i) < off_prob * (1.0 + sal * exp11 / (exp11 + cost)):
                    ev[8, b, i] = inv
                if strategic[b, i]:
                    binv = base_med * np.exp(0.5 * _ndtri(_hash_unit(keys[8, b], i)))
                    exp5 = min(rate5 * binv, cap5)
                    if _hash_unit(keys[9, b], i) < base_prob * (1.0 + sal * exp5 / (exp5 + cost)):
                        ev[9, b, i] = binv
            if rd[b, i] >= bt_min and _hash_unit(keys[11, b], i) < thr_bt:
                ev[11, b, i] = 1.0
    return ev


# -- growth, listings, exit -------------------------------------------------------------------
def grow(f: dict, p: dict, rs: Streams) -> np.ndarray:
    B = f["active"].shape[0]
    s = load_rules()["sectors"]["strategic_mask"]
    return _grow(f["active"], s[f["sector"]], f["rd"], f["rd_prev1"], f["invested_last"],
                 _runs(col(p, "growth_hitech"), B), _runs(col(p, "growth_traditional"), B),
                 _runs(col(p, "rd_productivity_elasticity"), B),
                 _runs(col(p, "investment_growth_boost"), B), _runs(col(p, "growth_sd"), B),
                 _keys(rs, "growth"))


@nb.njit(cache=True)
def _grow(active, strategic, rd, rd1, invested, g_hi, g_trad, el, boost, sd, keys):
    B, n = active.shape
    out = np.zeros((B, n))
    for b in range(B):
        for i in range(n):
            if not active[b, i]:
                continue
            trend = g_hi[b] if strategic[b, i] else g_trad[b]
            change = np.log(max(rd[b, i], 1e-6) / max(rd1[b, i], 1e-6))
            out[b, i] = (trend + el[b] * min(max(change, -1.0), 1.0)
                         + boost[b] * (1.0 if invested[b, i] > 0 else 0.0)
                         + sd[b] * _ndtri(_hash_unit(keys[0, b], i)))
    return out


def listings(f: dict, p: dict, rs: Streams, growth: np.ndarray):
    B = f["active"].shape[0]
    r = load_rules()
    gz, uc = r["gazelle"], r["unicorn"]
    return _listings(f["active"], f["gazelle"], f["unicorn"], f["age"], f["revenue"],
                     np.ascontiguousarray(growth), np.asarray(gz["bands"], _F),
                     np.asarray(gz["min_growth"], _F), float(gz["max_age_years"]),
                     float(uc["max_age_years"]), float(uc["min_valuation"]),
                     _runs(col(p, "valuation_multiple"), B), _runs(col(p, "gazelle_list_prob"), B),
                     _keys(rs, "listing"))


@nb.njit(cache=True)
def _listings(active, gazelle, unicorn, age, rev, growth, bands, min_g, gz_age, uc_age,
              min_val, mult, prob, keys):
    B, n = active.shape
    gz = np.zeros((B, n), np.bool_)
    uc = np.zeros((B, n), np.bool_)
    lo, mid, hi = bands[0], bands[1], bands[2]
    for b in range(B):
        for i in range(n):
            if not active[b, i]:
                continue
            r = rev[b, i]
            g = np.expm1(growth[b, i])
            crit = age[b, i] <= gz_age and (
                (r >= lo and r < mid and g >= min_g[0]) or (r >= mid and r < hi and g >= min_g[1]))
            uni = age[b, i] <= uc_age and r * mult[b] >= min_val
            if (crit and not gazelle[b, i]) or (uni and not unicorn[b, i]):
                u = _hash_unit(keys[0, b], i)
                gz[b, i] = crit and not gazelle[b, i] and u < prob[b]
                uc[b, i] = uni and not unicorn[b, i] and u < prob[b]
    return gz, uc


def exits(f: dict, p: dict, rs: Streams) -> np.ndarray:
    B = f["active"].shape[0]
    return _exits(f["active"], f["revenue"], _runs(col(p, "large_firm_revenue"), B),
                  _runs(col(p, "exit_rate"), B), _keys(rs, "exit"))


@nb.njit(cache=True)
def _exits(active, rev, large, rate, keys):
    B, n = active.shape
    out = np.zeros((B, n), np.bool_)
    for b in range(B):
        for i in range(n):
            if active[b, i]:
                r = rate[b] * (0.5 if rev[b, i] >= large[b] else 1.0)
                out[b, i] = _hash_unit(keys[0, b], i) < r
    return out


# -- investors and institutes -----------------------------------------------------------------
def invest(f: dict, p: dict, rs: Streams, followon_due: np.ndarray):
    from model.behaviour.investor import ANGEL_MAX_AGE, CAPITAL
    from model.params.registry import per_run

    B = f["active"].shape[0]
    capital = np.zeros((B, len(INVESTOR_TYPES)))
    for k, name in enumerate(INVESTOR_TYPES):
        cap = per_run(p, CAPITAL[name], B).copy()
        if name == "innovation_fund":
            cap = np.maximum(cap - followon_due, 0.0)
        capital[:, k] = cap
    ticket = _runs(per_run(p, "ticket_size", B), B)
    deals = np.ascontiguousarray(capital / ticket[:, None])
    s = load_rules()["sectors"]["strategic_mask"]
    amount, placed = _invest(f["active"], f["age"], s[f["sector"]], f["hte"], f["rd"],
                             f["revenue"], f["growth_last"], ANGEL_MAX_AGE,
                             _runs(col(p, "screen_growth_weight"), B),
                             _runs(col(p, "screen_rd_weight"), B), deals, ticket,
                             _keys(rs, "investment"))
    return amount, capital, placed


@nb.njit(cache=True)
def _invest(active, age, strategic, hte, rd, rev, growth, angel_age, wg, wr, deals, ticket,
            keys):
    B, n = active.shape
    K = deals.shape[1]
    amount = np.zeros((B, n))
    placed = np.zeros((B, K))
    wk = np.zeros((K, n))
    considers = np.zeros((K, n), np.bool_)
    pk = np.zeros(K)
    for b in range(B):
        for i in range(n):
            a = active[b, i]
            considers[0, i] = a and age[b, i] <= angel_age
            considers[1, i] = a and strategic[b, i]
            considers[2, i] = a and strategic[b, i]
            considers[3, i] = a and hte[b, i]
            w = np.exp(min(max(wg[b] * growth[b, i] + wr[b] * min(rd[b, i] / max(rev[b, i],
                                                                            1e-9), 0.3),
                               -30.0), 30.0))
            for k in range(K):
                wk[k, i] = w if considers[k, i] else 0.0
        denom = np.empty(K)
        for k in range(K):
            denom[k] = max(pairwise_sum(wk[k], 0, n), 1e-12)
        for i in range(n):
            prob = 0.0
            for k in range(K):
                pk[k] = min(deals[b, k] * wk[k, i] / denom[k], 1.0)
                prob = prob + pk[k]
            if prob <= 0.0:
                continue
            if _hash_unit(keys[0, b], i) < min(prob, 1.0):
                amount[b, i] = ticket[b]
                dv = max(prob, 1e-12)
                for k in range(K):
                    placed[b, k] += pk[k] / dv
    return amount, placed


def sellers(contracts: np.ndarray, inst_active: np.ndarray, rs: Streams) -> np.ndarray:
    return _sellers(np.ascontiguousarray(contracts), inst_active.sum(1), inst_active.shape[1],
                    _keys(rs, "contract_seller"))


@nb.njit(cache=True)
def _sellers(contracts, m_active, M, keys):
    B, n, k = contracts.shape
    out = np.zeros((B, M), np.int64)
    for b in range(B):
        top = max(m_active[b] - 1, 0)
        for i in range(n):
            for j in range(k):
                if contracts[b, i, j] > 0:
                    u = _hash_unit(keys[0, b], i * k + j)
                    out[b, min(np.int64(u * m_active[b]), top)] += 1
    return out


__all__ = ["contracts", "decide_hte", "decide_rd", "exits", "grow", "invest", "listings",
           "patents", "recognitions", "sellers"]
