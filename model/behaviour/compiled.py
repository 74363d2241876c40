"""The firms' year as two numba kernels, for the batch engine.

`firm_decisions` does in one pass over the runs and slots what model.dynamics'
`_firm_decisions` does with the NumPy functions of model.behaviour (R&D, HTE status, patents,
contracts, recognitions, the super-deduction, listings); `close_year` does `_close_year`
(investment, growth, exit, ageing). Both update the state in place and give the same bits:
the same expressions in the same order, the same random numbers (a draw is a hash of its
slot, so a kernel draws only where a decision needs one) and NumPy's summation order where a
sum is taken (model.numerics).

The NumPy functions are what the model *is*: ParkModel runs them, the tests hold these
kernels to them, and a change of behaviour is made there first, then here.

Per-run values (parameters, award values, thresholds) are computed in NumPy exactly as the
reference computes them and reach the kernels as one record per run.

numba's on-disk cache (`cache=True`) is keyed on this file only: after changing a function
the kernels inline from another module (model.rng, model.numerics), delete the
`__pycache__` folders (or touch this file), or the cached kernels keep the old code; the
bit-identity tests then fail rather than pass silently.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from model.behaviour.incentives import Incentives, salience
from model.behaviour.investor import ANGEL_MAX_AGE, CAPITAL, WEIGHT_CLIP
from model.numerics import pairwise_sum, searchsorted_left
from model.params.registry import as_runs, col, per_run
from model.params.rules import load_rules, super_deduction_rate
from model.rng import (
    POISSON_EXACT_BELOW,
    Streams,
    _hash_unit,
    _ndtri,
    _poisson_one,
    stream_key_table,
)
from model.state import INVESTOR_TYPES

_F = np.float64

# event rows of `firm_decisions`, in the order the reference adds them to the year's events
RECOGNITIONS = ("platform_regional", "platform_national", "academician_workstation",
                "postdoc_practice_base", "postdoc_workstation", "standard_national",
                "standard_industry", "standard_local", "offsite_rd_platform",
                "industrialization_base", "talent_introduced", "major_breakthrough")
EVENTS = ("hte_certified", "patents_invention", "patents_utility", *RECOGNITIONS,
          "rd_super_deduction", "gazelle_listed", "unicorn_listed")
_DRAWS = ("hte_consider", "hte_review", "patent_push", "patents_invention", "patents_utility",
          "contract", "contract_amount", "platform_regional", "platform_national", "workstation",
          "workstation_type", "standard", "standard_level", "offsite_amount", "offsite",
          "base_amount", "industrialization_base", "talent", "breakthrough_firm", "listing")
_CLOSE_DRAWS = ("investment", "growth", "exit")
# rows of the event array and of the stream keys, by name (numba reads these as constants)
(E_CERT, E_INV, E_UTIL, E_PR, E_PN, E_ACA, E_PPB, E_POST, E_STD_N, E_STD_I, E_STD_L, E_OFF,
 E_BASE, E_TALENT, E_BT, E_SD, E_GAZ, E_UNI) = range(len(EVENTS))
(K_CONSIDER, K_REVIEW, K_PUSH, K_INV, K_UTIL, K_CONTRACT, K_AMOUNT, K_PR, K_PN, K_WS,
 K_WS_TYPE, K_STD, K_STD_LEVEL, K_OFF_AMOUNT, K_OFF, K_BASE_AMOUNT, K_BASE, K_TALENT, K_BT,
 K_LISTING) = range(len(_DRAWS))
C_INVEST, C_GROWTH, C_EXIT = range(len(_CLOSE_DRAWS))

_RUN = np.dtype([(k, _F) for k in (
    # R&D
    "r7", "cap7", "neg_el", "mpc", "speed",
    # HTE status
    "gain", "p6c", "relabel", "effort", "ip_cost", "consider_p", "renew_p", "pass_p",
    # patents
    "per_inv", "per_util", "near_lo", "mg", "pays", "response",
    # contracts
    "med_int", "prob0", "price_term", "c_med", "c_sig",
    # recognitions
    "large", "pmin", "thr_pr", "thr_pn", "thr_ws", "aca", "acapb", "thr_std", "sn", "snsi",
    "off_med", "off_sig", "p11_lo", "p11_min", "rate11", "cap11", "off_prob", "sal", "cost",
    "base_med", "rate5", "cap5", "base_prob", "thr_talent", "bt_min", "thr_bt",
    # listings
    "mult", "list_prob")])
# the parameters of investment, growth and exit, by the field the close kernel reads
_CLOSE_PARAMS = {"wg": "screen_growth_weight", "wr": "screen_rd_weight",
                 "ticket": "ticket_size", "g_hi": "growth_hitech",
                 "g_trad": "growth_traditional", "el_g": "rd_productivity_elasticity",
                 "boost": "investment_growth_boost", "gsd": "growth_sd",
                 "exit_rate": "exit_rate", "large": "large_firm_revenue"}
_CLOSE_RUN = np.dtype([(k, _F) for k in _CLOSE_PARAMS])
_CONST = np.dtype([(k, _F) for k in (
    "t_hte", "t_std", "years", "min_age", "min_share",
    "lo", "mid", "hi", "min_g0", "min_g1", "gz_age", "uc_age", "min_val", "angel_age")])


def _constants() -> np.ndarray:
    r = load_rules()
    c, t, gz, uc = r["hte_criteria"], r["income_tax"], r["gazelle"], r["unicorn"]
    rec = np.zeros(1, _CONST)
    for k, v in dict(t_hte=t["hte"], t_std=t["standard"], years=c["validity_years"],
                     min_age=c["min_age_years"],
                     min_share=c["min_hitech_share"], lo=gz["bands"][0], mid=gz["bands"][1],
                     hi=gz["bands"][2], min_g0=gz["min_growth"][0], min_g1=gz["min_growth"][1],
                     gz_age=gz["max_age_years"], uc_age=uc["max_age_years"],
                     min_val=uc["min_valuation"], angel_age=ANGEL_MAX_AGE).items():
        rec[k] = v
    return rec  # a one-element array


def _run_values(p: dict, inc: Incentives, policy, B: int) -> np.ndarray:
    """One record per run: every per-run quantity, computed as the reference computes it."""
    tax = load_rules()["income_tax"]
    aca, pb = col(p, "academician_share"), col(p, "practice_base_share")
    mean_ws = (aca * inc.value("P9b", "award_academician")
               + pb * inc.value("P9b", "award_practice_base")
               + (1 - aca - pb) * inc.value("P9b", "award_postdoc"))
    sn, si = col(p, "standard_national_share"), col(p, "standard_industry_share")
    mean_std = (sn * inc.value("P8b", "award_national") + si * inc.value("P8b", "award_industry")
                + (1 - sn - si) * inc.value("P8b", "award_local"))
    p11_min = inc.cap("P11", "min_amount")
    min_grants = policy.value("P8a", "min_grants")
    v = {
        "r7": inc.value("P7", "rate"), "cap7": inc.cap("P7", "cap_per_unit_year"),
        "neg_el": -col(p, "rd_price_elasticity"), "mpc": col(p, "award_rd_mpc"),
        "speed": col(p, "rd_adjust_speed"),
        "gain": (tax["standard"] - tax["hte"]) * col(p, "profit_margin"),
        "p6c": inc.value("P6c", "award"), "relabel": col(p, "relabel_share"),
        "effort": col(p, "hte_effort_cost"), "ip_cost": col(p, "ip_acquisition_cost"),
        "consider_p": col(p, "hte_consider_prob"), "renew_p": col(p, "hte_renew_prob"),
        "pass_p": col(p, "hte_pass_prob"),
        "per_inv": col(p, "invention_grants_per_rd"), "per_util": col(p, "utility_grants_per_rd"),
        "near_lo": (1.0 - col(p, "threshold_bunching")) * min_grants, "mg": min_grants,
        "pays": inc.value("P8a", "award") > 0, "response": col(p, "patent_award_response"),
        "med_int": col(p, "rd_intensity_median_hitech"), "prob0": col(p, "contract_prob"),
        "price_term": (1.0 - inc.rate_on("tech_contract"))
        ** -col(p, "contract_price_elasticity"),
        "c_med": col(p, "contract_amount_median"), "c_sig": col(p, "contract_amount_sigma"),
        "large": col(p, "large_firm_revenue"), "pmin": col(p, "platform_min_rd"),
        "thr_pr": col(p, "platform_regional_prob")
        * salience(inc.value("P9a", "award_regional"), p),
        "thr_pn": col(p, "platform_national_prob")
        * salience(inc.value("P9a", "award_national"), p),
        "thr_ws": col(p, "workstation_prob") * salience(mean_ws, p), "aca": aca,
        "acapb": aca + pb, "thr_std": col(p, "standard_prob") * salience(mean_std, p),
        "sn": sn, "snsi": sn + si, "off_med": col(p, "offsite_investment_median"),
        "off_sig": col(p, "revenue_sigma") * 0.5,
        "p11_lo": (1 - col(p, "threshold_bunching")) * p11_min, "p11_min": p11_min,
        "rate11": inc.value("P11", "rate"), "cap11": inc.cap("P11", "cap_per_item"),
        "off_prob": col(p, "offsite_rd_prob"), "sal": col(p, "award_salience"),
        "cost": col(p, "recognition_effort_cost"), "base_med": col(p, "base_investment_median"),
        "rate5": inc.value("P5", "rate"), "cap5": inc.cap("P5", "cap_per_item"),
        "base_prob": col(p, "industrialization_base_prob"),
        "thr_talent": col(p, "talent_prob") * salience(inc.value("P1", "award"), p),
        "bt_min": col(p, "breakthrough_min_rd"),
        "thr_bt": col(p, "breakthrough_prob") * salience(inc.schedule_total("P3"), p),
        "mult": col(p, "valuation_multiple"), "list_prob": col(p, "gazelle_list_prob"),
    }
    rec = np.zeros(B, _RUN)
    for k in _RUN.names:
        rec[k] = as_runs(v[k], B)
    return rec


# -- the decisions of the year ----------------------------------------------------------------
def firm_decisions(f: dict, z: dict, p: dict, inc: Incentives, rs: Streams, year: int,
                   policy) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The year's firm decisions, in place on the state `f` (views of the year's slots).

    Returns (events {name: (B, n)}, counts {hte_applications, hte_new, hte_lapsed: (B,)})."""
    B, n = f["active"].shape
    k = int(p["contract_slots"])
    rules = load_rules()
    sectors = np.arange(len(rules["sectors"]["names"]))
    ev = np.zeros((len(EVENTS), B, n))
    contracts = np.zeros((B, n, k))
    counts = np.zeros((3, B), np.int64)
    granted = np.zeros(B, np.int64)
    _decisions(f["active"], f["hte"], f["ever_hte"], f["hte_left"], f["age"], f["hts"],
               f["sector"], f["revenue"], f["rd"], f["kappa"], f["price0"], f["award_last"],
               f["pat_stock"], f["pat_granted"], f["rd_prev1"], f["rd_prev2"],
               f["effort_mult"], f["platforms_reg"], f["platforms_nat"], f["workstations"],
               f["gazelle"], f["unicorn"], f["growth_last"],
               super_deduction_rate(year, sectors), rules["sectors"]["strategic_mask"],
               np.asarray(rules["hte_criteria"]["revenue_bands"], _F),
               np.asarray(rules["hte_criteria"]["rd_intensity"], _F),
               _run_values(p, inc, policy, B),
               _constants(), stream_key_table(rs.roots, _DRAWS, rs.year), ev, contracts, counts,
               granted)
    z["patents_cum"] += granted
    events = dict(zip(EVENTS[:3], ev[:3], strict=True))
    events["tech_contract"] = contracts  # where the reference adds it
    events.update(zip(EVENTS[3:], ev[3:], strict=True))
    return events, dict(zip(("hte_applications", "hte_new", "hte_lapsed"), counts, strict=True))


_MEMO = 16  # price ratios remembered per run: firms share a handful of (price, base price)


@nb.njit(cache=True, inline="always")
def _price_response(ratio, e, memo):
    """ratio ** e, remembered: pow is the costliest operation of the year and the ratios few.
    memo[0, :-1] holds ratios, memo[1, :-1] their powers, memo[:, -1] (count, next slot)."""
    if ratio == 1.0:
        return 1.0  # pow(1, e) == 1 exactly
    n = int(memo[0, -1])
    for j in range(n):
        if memo[0, j] == ratio:
            return memo[1, j]
    y = ratio ** e
    k = int(memo[1, -1])
    memo[0, k], memo[1, k] = ratio, y
    memo[1, -1] = (k + 1) % _MEMO
    memo[0, -1] = min(n + 1, _MEMO)
    return y


@nb.njit(cache=True)
def _decisions(active, hte, ever, left, age, hts, sector, rev, rd, kappa, price0, award_last,
               pat_stock, pat_granted, rd1, rd2, mult, plat_reg, plat_nat, workstations,
               gazelle, unicorn, growth, sdr, strategic, bands, rd_intensity, P, consts, keys, ev,
               contracts, counts, granted):
    B, n = active.shape
    K = contracts.shape[2]
    memo = np.zeros((2, _MEMO + 1))
    for b in range(B):
        q, c = P[b], consts[0]
        memo[:, -1] = 0.0  # the memo is per run: the elasticity differs
        for i in range(n):
            act = active[b, i]
            due = hte[b, i] and left[b, i] <= 0
            if not act:
                rd[b, i] = 0.0
                if due:  # certificates of firms gone lapse when due
                    hte[b, i] = False
                    counts[2, b] += 1
                continue
            s = sector[b, i]
            sd = sdr[s]
            r = rev[b, i]
            # R&D: desired R&D moves with the after-tax price; actual R&D adjusts
            tax = c.t_hte if hte[b, i] else c.t_std
            reward = q.r7 * tax * sd * rd[b, i]
            r7m = q.r7 if reward < q.cap7 else 0.0
            price = 1.0 - tax * (1.0 + sd) - r7m * tax * sd
            p0 = price0[b, i] if price0[b, i] > 0 else price
            desired = (kappa[b, i] * r * _price_response(price / p0, q.neg_el, memo)
                       + q.mpc * award_last[b, i])
            x = rd[b, i] + q.speed * (desired - rd[b, i])
            x = max(x, 0.0)
            rd[b, i] = x
            # HTE status: seek or renew when the benefit beats the cost of qualifying
            passed = False
            basic = age[b, i] >= c.min_age and hts[b, i] >= c.min_share
            if basic and (not hte[b, i] or due) and (
                    due or _hash_unit(keys[K_CONSIDER, b], i) < q.consider_p):
                gap = max(rd_intensity[searchsorted_left(bands, r)] * r - x, 0.0)
                sprice = 1.0 - c.t_std * (1.0 + sd)
                benefit = q.gain * r * c.years + (0.0 if ever[b, i] else q.p6c)
                no_ip = pat_stock[b, i] < 1
                cost = (q.effort * mult[b, i] + c.years * gap * sprice * (1.0 - q.relabel)
                        + (q.ip_cost if no_ip else 0.0))
                if benefit > cost:  # seeks it
                    counts[0, b] += 1
                    rd[b, i] = x + gap * (1.0 - q.relabel)
                    if no_ip:
                        pat_stock[b, i] += 1.0  # an acquired patent: owned, not granted
                    passed = _hash_unit(keys[K_REVIEW, b], i) < (q.renew_p if due else q.pass_p)
            if passed and not hte[b, i]:
                counts[1, b] += 1
                if not ever[b, i]:
                    ev[E_CERT, b, i] = 1.0
                hte[b, i] = True
                ever[b, i] = True
                left[b, i] = c.years
            elif passed:  # renewed
                left[b, i] = c.years
            elif due:
                hte[b, i] = False
                counts[2, b] += 1
            # patents, with lags; firms just short of P8a's threshold file more
            lam_inv = q.per_inv * rd2[b, i]
            lam_util = q.per_util * rd1[b, i]
            total = lam_inv + lam_util
            if (total >= q.near_lo and total < q.mg and q.pays > 0
                    and _hash_unit(keys[K_PUSH, b], i) < q.response):
                lam_util = lam_util + (q.mg - total)
            inv = _poisson_one(_hash_unit(keys[K_INV, b], i), lam_inv, POISSON_EXACT_BELOW)
            util = _poisson_one(_hash_unit(keys[K_UTIL, b], i), lam_util, POISSON_EXACT_BELOW)
            ev[E_INV, b, i] = inv
            ev[E_UTIL, b, i] = util
            pat_stock[b, i] += inv + util
            pat_granted[b, i] += inv + util
            granted[b] += inv + util
            # technology contracts
            rel = min(rd[b, i] / max(r, 1e-9) / q.med_int, 3.0)
            prob = q.prob0 * rel * q.price_term
            for j in range(K):
                if _hash_unit(keys[K_CONTRACT, b], i * K + j) < prob:
                    contracts[b, i, j] = q.c_med * np.exp(
                        q.c_sig * _ndtri(_hash_unit(keys[K_AMOUNT, b], i * K + j)))
            # recognitions
            _recognitions(q, keys, b, i, hte[b, i], r >= q.large, strategic[s], rd[b, i],
                          plat_reg[b, i], ev)
            plat_reg[b, i] += np.int16(ev[E_PR, b, i])
            plat_nat[b, i] += np.int16(ev[E_PN, b, i])
            workstations[b, i] += np.int16(ev[E_ACA, b, i] + ev[E_POST, b, i])
            # the R&D super-deduction: tax saved that year, the base of P7
            ev[E_SD, b, i] = (c.t_hte if hte[b, i] else c.t_std) * sd * rd[b, i]
            # listings on last year's growth
            _listing(q, c, keys, b, i, age[b, i], r, growth[b, i], gazelle, unicorn, ev)


@nb.njit(cache=True, inline="always")
def _recognitions(q, keys, b, i, hte, big, strategic, rd, plat_reg, ev):
    if rd >= q.pmin and _hash_unit(keys[K_PR, b], i) < q.thr_pr:
        ev[E_PR, b, i] = 1.0
    if plat_reg > 0 and _hash_unit(keys[K_PN, b], i) < q.thr_pn:
        ev[E_PN, b, i] = 1.0
    if hte:
        if _hash_unit(keys[K_WS, b], i) < q.thr_ws:
            u2 = _hash_unit(keys[K_WS_TYPE, b], i)
            ev[E_ACA if u2 < q.aca else E_PPB if u2 < q.acapb else E_POST, b, i] = 1.0
        if _hash_unit(keys[K_STD, b], i) < q.thr_std:
            u2 = _hash_unit(keys[K_STD_LEVEL, b], i)
            ev[E_STD_N if u2 < q.sn else E_STD_I if u2 < q.snsi else E_STD_L, b, i] = 1.0
        if _hash_unit(keys[K_TALENT, b], i) < q.thr_talent:
            ev[E_TALENT, b, i] = 1.0
    if big:
        inv = q.off_med * np.exp(q.off_sig * _ndtri(_hash_unit(keys[K_OFF_AMOUNT, b], i)))
        if q.rate11 > 0 and inv >= q.p11_lo and inv < q.p11_min:
            inv = q.p11_min
        exp11 = min(q.rate11 * inv, q.cap11) if inv >= q.p11_min else 0.0
        if _hash_unit(keys[K_OFF, b], i) < q.off_prob * (1.0 + q.sal * exp11 / (exp11 + q.cost)):
            ev[E_OFF, b, i] = inv
        if strategic:
            binv = q.base_med * np.exp(0.5 * _ndtri(_hash_unit(keys[K_BASE_AMOUNT, b], i)))
            exp5 = min(q.rate5 * binv, q.cap5)
            if (_hash_unit(keys[K_BASE, b], i)
                    < q.base_prob * (1.0 + q.sal * exp5 / (exp5 + q.cost))):
                ev[E_BASE, b, i] = binv
    if rd >= q.bt_min and _hash_unit(keys[K_BT, b], i) < q.thr_bt:
        ev[E_BT, b, i] = 1.0


@nb.njit(cache=True, inline="always")
def _listing(q, c, keys, b, i, age, r, g, gazelle, unicorn, ev):
    crit = age <= c.gz_age and ((r >= c.lo and r < c.mid and g >= c.min_g0)
                                or (r >= c.mid and r < c.hi and g >= c.min_g1))
    uni = age <= c.uc_age and r * q.mult >= c.min_val
    new_g = crit and not gazelle[b, i]
    new_u = uni and not unicorn[b, i]
    if new_g or new_u:
        u = _hash_unit(keys[K_LISTING, b], i)
        if new_g and u < q.list_prob:
            gazelle[b, i] = True
            ev[E_GAZ, b, i] = 1.0
        if new_u and u < q.list_prob:
            unicorn[b, i] = True
            ev[E_UNI, b, i] = 1.0


# -- the end of the year ----------------------------------------------------------------------
def close_year(f: dict, p: dict, rs: Streams, received: np.ndarray,
               followon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Investment, growth, exit and ageing, in place on `f`; returns (capital, placed, exits)."""
    B = f["active"].shape[0]
    capital = np.zeros((B, len(INVESTOR_TYPES)))
    for k, name in enumerate(INVESTOR_TYPES):
        cap = per_run(p, CAPITAL[name], B).copy()
        if name == "innovation_fund":
            cap = np.maximum(cap - followon, 0.0)
        capital[:, k] = cap
    ticket = per_run(p, "ticket_size", B)
    placed = np.zeros_like(capital)
    gone = np.zeros(B, np.int64)
    q = np.zeros(B, _CLOSE_RUN)
    for k, name in _CLOSE_PARAMS.items():
        q[k] = per_run(p, name, B)
    _close(f["active"], f["age"], f["sector"], f["hte"], f["hte_left"], f["rd"], f["rd_prev1"],
           f["rd_prev2"], f["revenue"], f["growth_last"], f["invested_last"], f["award_last"],
           np.ascontiguousarray(received), load_rules()["sectors"]["strategic_mask"],
           capital / ticket[:, None], q, _constants(),
           stream_key_table(rs.roots, _CLOSE_DRAWS, rs.year), placed, gone)
    return capital, placed, gone


@nb.njit(cache=True)
def _close(active, age, sector, hte, left, rd, rd1, rd2, rev, growth, invested, award_last,
           received, strategic, deals, P, consts, keys, placed, gone):
    B, n = active.shape
    K = deals.shape[1]
    w = np.zeros(n)
    wk = np.zeros((K, n))
    pk = np.zeros(K)
    denom = np.zeros(K)
    for b in range(B):
        q, c = P[b], consts[0]
        # investors screen firms by growth and R&D: weights, then each investor's total
        for i in range(n):
            a = active[b, i]
            st = strategic[sector[b, i]]
            w[i] = np.exp(min(max(q.wg * growth[b, i]
                                  + q.wr * min(rd[b, i] / max(rev[b, i], 1e-9), 0.3),
                                  -WEIGHT_CLIP), WEIGHT_CLIP)) if a else 0.0
            wk[0, i] = w[i] if a and age[b, i] <= c.angel_age else 0.0
            wk[1, i] = w[i] if a and st else 0.0
            wk[2, i] = w[i] if a and st else 0.0
            wk[3, i] = w[i] if a and hte[b, i] else 0.0
        for k in range(K):
            denom[k] = max(pairwise_sum(wk[k], 0, n), 1e-12)
        for i in range(n):
            amount = 0.0
            if active[b, i]:
                prob = 0.0
                for k in range(K):
                    pk[k] = min(deals[b, k] * wk[k, i] / denom[k], 1.0)
                    prob = prob + pk[k]
                if prob > 0.0 and _hash_unit(keys[C_INVEST, b], i) < min(prob, 1.0):
                    amount = q.ticket
                    dv = max(prob, 1e-12)
                    for k in range(K):
                        placed[b, k] += pk[k] / dv
                # growth: sector trend, R&D, equity investment, noise
                trend = q.g_hi if strategic[sector[b, i]] else q.g_trad
                change = np.log(max(rd[b, i], 1e-6) / max(rd1[b, i], 1e-6))
                g = (trend + q.el_g * min(max(change, -1.0), 1.0)
                     + q.boost * (1.0 if invested[b, i] > 0 else 0.0)
                     + q.gsd * _ndtri(_hash_unit(keys[C_GROWTH, b], i)))
                e = np.exp(g)
                rev[b, i] = rev[b, i] * e
                growth[b, i] = e - 1.0
            else:
                growth[b, i] = 0.0
            rd2[b, i] = rd1[b, i]
            rd1[b, i] = rd[b, i]
            invested[b, i] = amount
            award_last[b, i] = received[b, i]
            if active[b, i]:
                rate = q.exit_rate * (0.5 if rev[b, i] >= q.large else 1.0)
                if _hash_unit(keys[C_EXIT, b], i) < rate:
                    active[b, i] = False
                    gone[b] += 1
                else:
                    age[b, i] += 1.0
            left[b, i] = left[b, i] - 1 if hte[b, i] else 0


# -- institutes -------------------------------------------------------------------------------
def sellers(contracts: np.ndarray, inst_active: np.ndarray, rs: Streams) -> np.ndarray:
    """model.behaviour.institute.sellers, compiled."""
    return _sellers(np.ascontiguousarray(contracts), inst_active.sum(1), inst_active.shape[1],
                    stream_key_table(rs.roots, ("contract_seller",), rs.year))


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


__all__ = ["EVENTS", "close_year", "firm_decisions", "sellers"]
