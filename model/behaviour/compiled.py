"""The firms' year as two numba kernels, for the batch engine.

`firm_decisions` does in one pass over the runs and slots what model.dynamics'
`_firm_decisions` does with the NumPy functions of model.behaviour (R&D, HTE status, patents,
contracts, recognitions, the super-deduction, listings); `close_year` does `_close_year`
(investment, growth, exit, ageing). Both update the state in place and give the same bits:
the same expressions in the same order, the same random numbers (a draw is a hash of its
slot, so a kernel draws only where a decision needs one) and NumPy's summation order where a
sum is taken (model.numerics), and model.mathfn's exp, log and power, the very functions the
reference calls, so the bits do not depend on the CPU.

The NumPy functions are what the model *is*: ParkModel runs them, the tests hold these
kernels to them, and a change of behaviour is made there first, then here.

Per-run values (parameters, award values, thresholds) are computed in NumPy exactly as the
reference computes them and reach the kernels as one record per run.

numba's on-disk cache (`cache=True`) is keyed on this file only: after changing a function
the kernels inline from another module (model.rng, model.numerics, model.mathfn), delete the
`__pycache__` folders (or touch this file), or the cached kernels keep the old code; the
bit-identity tests then fail rather than pass silently.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from model import mathfn as mf
from model.behaviour import background
from model.behaviour.enterprise import REPORT_TOLERANCE
from model.behaviour.incentives import Incentives, salience
from model.behaviour.investor import CAPITAL, WEIGHT_CLIP
from model.mathfn import exp1, log1, power1
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
EVENTS = ("hte_certified", "hte_certified_again", "patents_invention", "patents_utility",
          "patents_design", *RECOGNITIONS, "rd_super_deduction", "gazelle_listed",
          "unicorn_listed")
N_BEFORE_CONTRACTS = EVENTS.index(RECOGNITIONS[0])  # the reference adds `tech_contract` here
_DRAWS = ("hte_consider", "hte_review", "patent_push", "patents_invention", "patents_utility",
          "contract", "contract_amount", "platform_regional", "platform_national", "workstation",
          "workstation_type", "standard", "standard_level", "offsite_amount", "offsite",
          "base_amount", "industrialization_base", "talent", "breakthrough_firm", "listing",
          "patents_design", "contract_type")
_CLOSE_DRAWS = ("investment", "growth", "exit")
# rows of the event array and of the stream keys, by name (numba reads these as constants)
(E_CERT, E_AGAIN, E_INV, E_UTIL, E_DES, E_PR, E_PN, E_ACA, E_PPB, E_POST, E_STD_N, E_STD_I,
 E_STD_L, E_OFF, E_BASE, E_TALENT, E_BT, E_SD, E_GAZ, E_UNI) = range(len(EVENTS))
(K_CONSIDER, K_REVIEW, K_PUSH, K_INV, K_UTIL, K_CONTRACT, K_AMOUNT, K_PR, K_PN, K_WS,
 K_WS_TYPE, K_STD, K_STD_LEVEL, K_OFF_AMOUNT, K_OFF, K_BASE_AMOUNT, K_BASE, K_TALENT, K_BT,
 K_LISTING, K_DES, K_TYPE) = range(len(_DRAWS))
C_INVEST, C_GROWTH, C_EXIT = range(len(_CLOSE_DRAWS))

_RUN = np.dtype([(k, _F) for k in (
    # R&D and the super-deduction's take-up
    "r7", "cap7", "neg_el", "mpc", "speed", "tk_small", "tk_medium", "tk_large", "tk_hte",
    # HTE status, the regional fund and campaign
    "p6c", "p6c_each", "relabel", "effort", "camp", "ip_cost", "consider_p", "renew_p",
    "pass_p", "nontax_y", "fund", "reg_new", "reg_recert", "reg_rate", "reg_cap",
    # patents
    "per_inv", "per_util", "des_ratio", "near_lo", "mg", "pays", "response",
    # contracts
    "med_int", "c_cap", "prob0", "price_term", "price_other", "cov_share", "c_med", "c_sig",
    # recognitions
    "large", "pmin", "thr_pr", "thr_pn", "thr_ws", "aca", "acapb", "thr_std", "sn", "snsi",
    "off_med", "off_sig", "p11_lo", "p11_min", "rate11", "cap11", "off_prob", "sal", "cost",
    "base_med", "base_sig", "rate5", "cap5", "base_prob", "thr_talent", "bt_min", "thr_bt",
    # listings
    "mult", "gz_prob", "uc_prob")])
# the parameters of investment, growth and exit, by the field the close kernel reads
_CLOSE_PARAMS = {"wg": "screen_growth_weight", "wr": "screen_rd_weight",
                 "int_max": "rd_intensity_max", "angel_age": "angel_max_age",
                 "ticket": "ticket_size", "g_hi": "growth_hitech",
                 "g_trad": "growth_traditional", "el_g": "rd_productivity_elasticity",
                 "clip": "rd_growth_change_clip", "boost": "investment_growth_boost",
                 "gsd": "growth_sd", "hts_speed": "hts_adjust_speed",
                 "hts_half": "hts_half_intensity", "exit_rate": "exit_rate",
                 "large": "large_firm_revenue", "large_exit": "large_firm_exit_factor"}
_CLOSE_RUN = np.dtype([(k, _F) for k in _CLOSE_PARAMS])
_CONST = np.dtype([(k, _F) for k in (
    "t_hte", "t_std", "years", "min_age", "min_share", "size0", "size1",
    "lo", "mid", "hi", "min_g0", "min_g1", "gz_age", "uc_age", "min_val")])


def _constants() -> np.ndarray:
    r = load_rules()
    c, t, gz, uc = r["hte_criteria"], r["income_tax"], r["gazelle"], r["unicorn"]
    size = r["firm_size"]["revenue_bands"]
    rec = np.zeros(1, _CONST)
    for k, v in dict(t_hte=t["hte"], t_std=t["standard"], years=c["validity_years"],
                     min_age=c["min_age_years"],
                     min_share=c["min_hitech_share"], size0=size[0], size1=size[1],
                     lo=gz["bands"][0], mid=gz["bands"][1],
                     hi=gz["bands"][2], min_g0=gz["min_growth"][0], min_g1=gz["min_growth"][1],
                     gz_age=gz["max_age_years"], uc_age=uc["max_age_years"],
                     min_val=uc["min_valuation"]).items():
        rec[k] = v
    return rec  # a one-element array


def _run_values(p: dict, inc: Incentives, policy, year: int, B: int) -> np.ndarray:
    """One record per run: every per-run quantity, computed as the reference computes it."""
    years = load_rules()["hte_criteria"]["validity_years"]
    fund = background.weight(p, "regional_hte_fund", year)
    campaign = background.weight(p, "regional_doubling_campaign", year)
    aca, pb = col(p, "academician_share"), col(p, "practice_base_share")
    mean_ws = (aca * inc.value("P9b", "award_academician")
               + pb * inc.value("P9b", "award_practice_base")
               + (1 - aca - pb) * inc.value("P9b", "award_postdoc"))
    sn, si = col(p, "standard_national_share"), col(p, "standard_industry_share")
    mean_std = (sn * inc.value("P8b", "award_national") + si * inc.value("P8b", "award_industry")
                + (1 - sn - si) * inc.value("P8b", "award_local"))
    p11_min = inc.cap("P11", "min_amount")
    min_grants = policy.value("P8a", "min_grants")
    d = col(p, "design_patent_share")
    v = {
        "r7": inc.value("P7", "rate"), "cap7": inc.cap("P7", "cap_per_unit_year"),
        "neg_el": -col(p, "rd_price_elasticity"), "mpc": col(p, "award_rd_mpc"),
        "speed": col(p, "rd_adjust_speed"),
        "tk_small": col(p, "p7_takeup_small"), "tk_medium": col(p, "p7_takeup_medium"),
        "tk_large": col(p, "p7_takeup_large"), "tk_hte": col(p, "p7_takeup_hte"),
        "p6c": inc.value("P6c", "award"),
        "p6c_each": float(policy.switch("p6c_recertified") == "each_new_certification"),
        "relabel": col(p, "relabel_share"), "effort": col(p, "hte_effort_cost"),
        "camp": 1.0 - col(p, "campaign_cost_reduction") * campaign,
        "ip_cost": col(p, "ip_acquisition_cost"),
        "consider_p": np.minimum(col(p, "hte_consider_prob")
                                 + col(p, "campaign_consider_boost") * campaign, 1.0),
        "renew_p": col(p, "hte_renew_prob"), "pass_p": col(p, "hte_pass_prob"),
        "nontax_y": col(p, "hte_nontax_benefit") * years, "fund": fund,
        "reg_new": col(p, "regional_award_new_hte"),
        "reg_recert": col(p, "regional_award_recert_hte"),
        "reg_rate": col(p, "regional_rd_award_rate"), "reg_cap": col(p, "regional_rd_award_cap"),
        "per_inv": col(p, "invention_grants_per_rd"), "per_util": col(p, "utility_grants_per_rd"),
        "des_ratio": d / (1.0 - d),
        "near_lo": (1.0 - col(p, "threshold_bunching")) * min_grants, "mg": min_grants,
        "pays": inc.value("P8a", "award") > 0, "response": col(p, "patent_award_response"),
        "med_int": col(p, "rd_intensity_median_hitech"),
        "c_cap": col(p, "contract_rd_intensity_cap"), "prob0": col(p, "contract_prob"),
        "price_term": mf.power(1.0 - inc.rate_on("tech_contract"),
                               -col(p, "contract_price_elasticity")),
        "price_other": mf.power(1.0 - inc.rate_on("tech_contract_other"),
                                -col(p, "contract_price_elasticity")),
        "cov_share": col(p, "contract_covered_share"),
        "c_med": col(p, "contract_amount_median"), "c_sig": col(p, "contract_amount_sigma"),
        "large": col(p, "large_firm_revenue"), "pmin": col(p, "platform_min_rd"),
        "thr_pr": col(p, "platform_regional_prob")
        * salience(inc.value("P9a", "award_regional"), p),
        "thr_pn": col(p, "platform_national_prob")
        * salience(inc.value("P9a", "award_national"), p),
        "thr_ws": col(p, "workstation_prob") * salience(mean_ws, p), "aca": aca,
        "acapb": aca + pb, "thr_std": col(p, "standard_prob") * salience(mean_std, p),
        "sn": sn, "snsi": sn + si, "off_med": col(p, "offsite_investment_median"),
        "off_sig": col(p, "offsite_investment_sigma"),
        "p11_lo": (1 - col(p, "threshold_bunching")) * p11_min, "p11_min": p11_min,
        "rate11": inc.value("P11", "rate"), "cap11": inc.cap("P11", "cap_per_item"),
        "off_prob": col(p, "offsite_rd_prob"), "sal": col(p, "award_salience"),
        "cost": col(p, "recognition_effort_cost"), "base_med": col(p, "base_investment_median"),
        "base_sig": col(p, "base_investment_sigma"),
        "rate5": inc.value("P5", "rate"), "cap5": inc.cap("P5", "cap_per_item"),
        "base_prob": col(p, "industrialization_base_prob"),
        "thr_talent": col(p, "talent_prob") * salience(inc.value("P1", "award"), p),
        "bt_min": col(p, "breakthrough_min_rd"),
        "thr_bt": col(p, "breakthrough_prob") * salience(inc.schedule_value("P3", p), p),
        "mult": col(p, "valuation_multiple"), "gz_prob": col(p, "gazelle_list_prob"),
        "uc_prob": col(p, "unicorn_list_prob"),
    }
    rec = np.zeros(B, _RUN)
    for k in _RUN.names:
        rec[k] = as_runs(v[k], B)
    return rec


# -- the decisions of the year ----------------------------------------------------------------
DENSE = (E_INV, E_UTIL, E_DES, E_SD)  # rows written for every active slot; the others sparse


class EventBuffers:
    """The decision kernel's event arrays, kept from one year to the next of a run job.

    A year's firm events are some 20 MB of (18, B, n) rows that are almost all zero; zeroing
    them afresh each year (np.zeros) cost a tenth of the batch's time. Instead the kernel logs
    the slots where it writes in the sparse rows (and contracts), and the next year clears just
    those slots and the rows written for every firm. A slot is logged at most once, so the log
    cannot overflow. Only for callers that drop a year's events once it is settled:
    ParkModel's ledger and the observers that keep events get fresh arrays.
    """

    def __init__(self, B: int, width: int, k: int) -> None:
        self.ev = np.zeros(len(EVENTS) * B * width)
        self.con = np.zeros(B * width * k)
        self.con2 = np.zeros(B * width * k)  # contracts of the other types
        self.log = np.zeros(B * width, np.int64)  # slots (b * n + i) with sparse events
        self.clog = np.zeros(B * width, np.int64)  # and with contracts
        self.nlog = np.zeros(2, np.int64)  # how many of each
        self.shape: tuple[int, int, int] | None = None  # (B, n, k) of the arrays last handed out

    def take(self, B: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Zeroed arrays (len(EVENTS), B, n) and twice (B, n, k), views of the buffers."""
        if self.shape is not None:
            b0, n0, k0 = self.shape
            ev = self.ev[:len(EVENTS) * b0 * n0].reshape(len(EVENTS), b0, n0)
            con = self.con[:b0 * n0 * k0].reshape(b0, n0, k0)
            con2 = self.con2[:b0 * n0 * k0].reshape(b0, n0, k0)
            ev[list(DENSE)] = 0.0
            _clear(ev, con, con2, self.log, self.clog, self.nlog)
        self.shape = (B, n, k)
        self.nlog[:] = 0
        return (self.ev[:len(EVENTS) * B * n].reshape(len(EVENTS), B, n),
                self.con[:B * n * k].reshape(B, n, k), self.con2[:B * n * k].reshape(B, n, k))


def firm_decisions(f: dict, z: dict, p: dict, inc: Incentives, rs: Streams, year: int,
                   policy, buffers: EventBuffers | None = None
                   ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The year's firm decisions, in place on the state `f` (views of the year's slots).

    Returns (events {name: (B, n)}, counts {hte_applications, hte_new, hte_lapsed,
    regional_awards: (B,)}). With `buffers`, the events are views that the next year's call
    overwrites."""
    B, n = f["active"].shape
    k = int(p["contract_slots"])
    rules = load_rules()
    sectors = np.arange(len(rules["sectors"]["names"]))
    if buffers is None or buffers.con.size < B * n * k or buffers.ev.size < len(EVENTS) * B * n:
        ev, contracts, others = (np.zeros((len(EVENTS), B, n)), np.zeros((B, n, k)),
                                 np.zeros((B, n, k)))
        log, clog, nlog = _NO_LOG, _NO_LOG, np.zeros(2, np.int64)
    else:
        ev, contracts, others = buffers.take(B, n, k)
        log, clog, nlog = buffers.log, buffers.clog, buffers.nlog
    counts = np.zeros((3, B), np.int64)
    regional = np.zeros(B)
    granted = np.zeros(B, np.int64)
    _decisions(f["active"], f["hte"], f["ever_hte"], f["hte_left"], f["age"], f["hts"],
               f["sector"], f["revenue"], f["rev_prev1"], f["rev_prev2"], f["margin"],
               f["claim_u"], f["reported_i3"], f["rd"], f["kappa"], f["price0"], f["award_last"],
               f["pat_stock"], f["pat_granted"], f["rd_prev1"], f["rd_prev2"],
               f["effort_mult"], f["platforms_reg"], f["platforms_nat"], f["workstations"],
               f["gazelle"], f["unicorn"], f["growth_last"],
               super_deduction_rate(year, sectors), rules["sectors"]["strategic_mask"],
               np.asarray(rules["hte_criteria"]["revenue_bands"], _F),
               np.asarray(rules["hte_criteria"]["rd_intensity"], _F),
               _run_values(p, inc, policy, year, B),
               _constants(), stream_key_table(rs.roots, _DRAWS, rs.year), ev, contracts, others,
               counts, regional, granted, log, clog, nlog)
    z["patents_cum"] += granted
    m = N_BEFORE_CONTRACTS
    events = dict(zip(EVENTS[:m], ev[:m], strict=True))
    events["tech_contract"] = contracts  # where the reference adds them
    events["tech_contract_other"] = others
    events.update(zip(EVENTS[m:], ev[m:], strict=True))
    out = dict(zip(("hte_applications", "hte_new", "hte_lapsed"), counts, strict=True))
    out["regional_awards"] = regional
    return events, out


_NO_LOG = np.zeros(0, np.int64)
SPARSE = tuple(e for e in range(len(EVENTS)) if e not in DENSE)


@nb.njit(cache=True)
def _clear(ev, contracts, others, log, clog, nlog):
    """Zero the sparse rows at the slots in log[:nlog[0]], and the contract cells (both types)
    at the slots in clog[:nlog[1]] (slots as b * n + i of the arrays' own shape)."""
    n = ev.shape[2]
    for m in range(min(nlog[0], log.size)):
        b, i = log[m] // n, log[m] % n
        for r in SPARSE:
            ev[r, b, i] = 0.0
    for m in range(min(nlog[1], clog.size)):
        b, i = clog[m] // n, clog[m] % n
        contracts[b, i, :] = 0.0
        others[b, i, :] = 0.0


_MEMO = 16  # price ratios remembered per run: firms share a handful of (price, base price)


@nb.njit(cache=True, inline="always")
def _claims(q, c, hte, r, u):
    """enterprise.claims for one firm: its draw u against the take-up of its size band or
    of HTEs."""
    if hte:
        tk = q.tk_hte
    elif r < c.size0:
        tk = q.tk_small
    elif r < c.size1:
        tk = q.tk_medium
    else:
        tk = q.tk_large
    return u < tk


# Helpers called once per firm take and return scalars only: passing an array to a numba
# function costs an atomic reference count in and out, which was a quarter of this kernel.
@nb.njit(cache=True)
def _decisions(active, hte, ever, left, age, hts, sector, rev, rev1, rev2, margin, claim_u,
               reported_i3, rd, kappa, price0, award_last, pat_stock, pat_granted, rd1, rd2,
               mult, plat_reg, plat_nat, workstations, gazelle, unicorn, growth, sdr, strategic,
               bands, rd_intensity, P, consts, keys, ev, contracts, others, counts, regional,
               granted, log, clog, nlog):
    B, n = active.shape
    K = contracts.shape[2]
    c = consts[0]
    # ratio ** e, remembered per run (the elasticity differs): pow is the costliest operation
    # of the year and the ratios few. memo[0] holds ratios, memo[1] their powers.
    memo = np.zeros((2, _MEMO))
    reg_row = np.zeros(n)  # the regional fund's money per firm, summed as NumPy sums a row
    for b in range(B):
        q = P[b]
        kr = (keys[K_PR, b], keys[K_PN, b], keys[K_WS, b], keys[K_WS_TYPE, b], keys[K_STD, b],
              keys[K_STD_LEVEL, b], keys[K_OFF_AMOUNT, b], keys[K_OFF, b],
              keys[K_BASE_AMOUNT, b], keys[K_BASE, b], keys[K_TALENT, b], keys[K_BT, b])
        k_consider, k_review, k_push = keys[K_CONSIDER, b], keys[K_REVIEW, b], keys[K_PUSH, b]
        k_inv, k_util, k_des = keys[K_INV, b], keys[K_UTIL, b], keys[K_DES, b]
        k_listing = keys[K_LISTING, b]
        k_contract, k_amount, k_type = keys[K_CONTRACT, b], keys[K_AMOUNT, b], keys[K_TYPE, b]
        n_memo = 0
        next_memo = 0
        for i in range(n):
            act = active[b, i]
            due = hte[b, i] and left[b, i] <= 0
            reg_row[i] = 0.0
            if not act:
                rd[b, i] = 0.0
                reported_i3[b, i] = 0.0
                if due:  # certificates of firms gone lapse when due
                    hte[b, i] = False
                    counts[2, b] += 1
                continue
            s = sector[b, i]
            sd = sdr[s]
            r = rev[b, i]
            m = margin[b, i]
            # R&D: desired R&D moves with the after-tax price; actual R&D adjusts
            tax = c.t_hte if hte[b, i] else c.t_std
            tau = tax if m > 0 else 0.0
            sdc = sd if _claims(q, c, hte[b, i], r, claim_u[b, i]) else 0.0
            reward = q.r7 * (tau * min(sdc * rd[b, i], max(m * r, 0.0)))
            r7m = q.r7 if reward < q.cap7 else 0.0
            price = 1.0 - tau * (1.0 + sdc) - r7m * tau * sdc
            p0 = price0[b, i] if price0[b, i] > 0 else price
            ratio = price / p0
            if ratio == 1.0:
                response = 1.0  # pow(1, e) == 1 exactly
            else:
                j = 0
                while j < n_memo and memo[0, j] != ratio:
                    j += 1
                if j < n_memo:
                    response = memo[1, j]
                else:
                    response = power1(ratio, q.neg_el)
                    memo[0, next_memo], memo[1, next_memo] = ratio, response
                    next_memo = (next_memo + 1) % _MEMO
                    n_memo = min(n_memo + 1, _MEMO)
            desired = kappa[b, i] * r * response + q.mpc * award_last[b, i]
            x = rd[b, i] + q.speed * (desired - rd[b, i])
            x = max(x, 0.0)
            rd[b, i] = x
            # HTE status over the three-year window: seek or renew when the benefit beats the
            # cost of qualifying; seekers fill their real gap in this year's R&D
            r1, r2 = rd1[b, i], rd2[b, i]
            rev3 = r + rev1[b, i] + rev2[b, i]
            thr = rd_intensity[searchsorted_left(bands, r)]
            passed = False
            sought = False
            basic = age[b, i] >= c.min_age and hts[b, i] >= c.min_share
            if basic and (not hte[b, i] or due) and (
                    due or _hash_unit(k_consider, i) < q.consider_p):
                gap = max(thr * (1.0 - q.relabel) * rev3 - (x + r1 + r2), 0.0)
                gprice = 1.0 - (c.t_std if m > 0 else 0.0) * (1.0 + sdc)
                xg = x + gap
                first = not ever[b, i]
                regional_b = q.fund * ((q.reg_new if first else q.reg_recert)
                                       + min(q.reg_rate * xg, q.reg_cap) * c.years)
                p6c = q.p6c if first or (q.p6c_each > 0 and not hte[b, i]) else 0.0
                benefit = ((c.t_std - c.t_hte) * max(m, 0.0) * r * c.years + q.nontax_y + p6c
                           + regional_b)
                no_ip = pat_stock[b, i] < 1
                cost = (q.effort * mult[b, i] * q.camp + gap * gprice
                        + (q.ip_cost if no_ip else 0.0))
                if benefit > cost:  # seeks it
                    counts[0, b] += 1
                    sought = True
                    rd[b, i] = xg
                    if no_ip:
                        pat_stock[b, i] += 1.0  # an acquired patent: owned, not granted
                    passed = _hash_unit(k_review, i) < (q.renew_p if due else q.pass_p)
            # the three-year intensity it reports (enterprise.reported_intensity)
            i3 = (rd[b, i] + r1 + r2) / max(rev3, 1e-9)
            claimant = sought or (hte[b, i] and not due)
            if (claimant and i3 < thr
                    and i3 >= thr * (1.0 - q.relabel) * (1.0 - REPORT_TOLERANCE)):
                reported_i3[b, i] = thr
            else:
                reported_i3[b, i] = i3
            sparse = False  # any event in a sparse row at this slot
            first_cert = False
            again = False  # certified again after a lapse, or renewed (the region's award)
            if passed and not hte[b, i]:
                counts[1, b] += 1
                if not ever[b, i]:
                    ev[E_CERT, b, i] = 1.0
                    first_cert = True
                else:
                    ev[E_AGAIN, b, i] = 1.0
                    again = True
                sparse = True
                hte[b, i] = True
                ever[b, i] = True
                left[b, i] = c.years
            elif passed:  # renewed
                left[b, i] = c.years
                again = True
            elif due:
                hte[b, i] = False
                counts[2, b] += 1
            # the regional fund's money (enterprise.regional_awards)
            cert_amt = q.reg_new if first_cert else (q.reg_recert if again else 0.0)
            rd_amt = min(q.reg_rate * rd[b, i], q.reg_cap) if hte[b, i] else 0.0
            reg_row[i] = q.fund * (cert_amt + rd_amt)
            # patents, with lags; designs a share of the expected grants; firms just short of
            # P8a's threshold file more
            lam_inv = q.per_inv * r2
            lam_util = q.per_util * r1
            lam_des = q.des_ratio * (lam_inv + lam_util)
            total = lam_inv + lam_util + lam_des
            if (total >= q.near_lo and total < q.mg and q.pays > 0
                    and _hash_unit(k_push, i) < q.response):
                lam_util = lam_util + (q.mg - total)
            inv = _poisson_one(_hash_unit(k_inv, i), lam_inv, POISSON_EXACT_BELOW)
            util = _poisson_one(_hash_unit(k_util, i), lam_util, POISSON_EXACT_BELOW)
            des = _poisson_one(_hash_unit(k_des, i), lam_des, POISSON_EXACT_BELOW)
            ev[E_INV, b, i] = inv
            ev[E_UTIL, b, i] = util
            ev[E_DES, b, i] = des
            pat_stock[b, i] += inv + util + des
            pat_granted[b, i] += inv + util + des
            granted[b] += inv + util + des
            # technology contracts: the type first (P4 lowers the price of those it pays for)
            rel = min(rd[b, i] / max(r, 1e-9) / q.med_int, q.c_cap)
            prob = q.prob0 * rel * q.price_term
            prob_o = q.prob0 * rel * q.price_other
            signed = False
            for j in range(K):
                uc = _hash_unit(k_contract, i * K + j)
                if uc < prob or uc < prob_o:  # the type's draw only where it can matter
                    cov = _hash_unit(k_type, i * K + j) < q.cov_share
                    if uc < (prob if cov else prob_o):
                        amount = q.c_med * exp1(q.c_sig * _ndtri(_hash_unit(k_amount, i * K + j)))
                        if cov:
                            contracts[b, i, j] = amount
                        else:
                            others[b, i, j] = amount
                        signed = True
            if signed:
                if nlog[1] < clog.size:
                    clog[nlog[1]] = b * n + i
                nlog[1] += 1
            # recognitions
            pr, pn, ws, std, talent, off, base, bt = _recognitions(
                q, kr, i, hte[b, i], r >= q.large, strategic[s], rd[b, i], plat_reg[b, i])
            if pr:
                ev[E_PR, b, i] = 1.0
                plat_reg[b, i] += np.int16(1)
            if pn:
                ev[E_PN, b, i] = 1.0
                plat_nat[b, i] += np.int16(1)
            if ws >= 0:
                ev[ws, b, i] = 1.0
                if ws != E_PPB:
                    workstations[b, i] += np.int16(1)
            if std >= 0:
                ev[std, b, i] = 1.0
            if talent:
                ev[E_TALENT, b, i] = 1.0
            if off > 0.0:
                ev[E_OFF, b, i] = off
            if base > 0.0:
                ev[E_BASE, b, i] = base
            if bt:
                ev[E_BT, b, i] = 1.0
            # the R&D super-deduction: tax saved that year by a claiming firm on its taxable
            # profit, the base of P7 (status and so claims as after the HTE decision)
            tax = c.t_hte if hte[b, i] else c.t_std
            tau = tax if m > 0 else 0.0
            sdc = sd if _claims(q, c, hte[b, i], r, claim_u[b, i]) else 0.0
            ev[E_SD, b, i] = tau * min(sdc * rd[b, i], max(m * r, 0.0))
            # listings on last year's growth
            new_g, new_u = _listing(q, c, k_listing, i, age[b, i], r, growth[b, i],
                                    gazelle[b, i], unicorn[b, i])
            if new_g:
                gazelle[b, i] = True
                ev[E_GAZ, b, i] = 1.0
            if new_u:
                unicorn[b, i] = True
                ev[E_UNI, b, i] = 1.0
            if (sparse or pr or pn or ws >= 0 or std >= 0 or talent or off > 0.0 or base > 0.0
                    or bt or new_g or new_u):
                if nlog[0] < log.size:
                    log[nlog[0]] = b * n + i
                nlog[0] += 1
        regional[b] = pairwise_sum(reg_row, 0, n)


@nb.njit(cache=True, inline="always")
def _recognitions(q, kr, i, hte, big, strategic, rd, plat_reg):
    """The year's recognitions of one firm: (regional platform, national platform,
    workstation row or -1, standard row or -1, talent, off-site R&D investment or 0,
    industrialization base investment or 0, breakthrough); `kr` holds the keys of streams
    K_PR .. K_BT in that order, so stream K_X is kr[K_X - K_PR]."""
    pr = rd >= q.pmin and _hash_unit(kr[0], i) < q.thr_pr
    pn = plat_reg > 0 and _hash_unit(kr[K_PN - K_PR], i) < q.thr_pn
    ws, std, talent = -1, -1, False
    if hte:
        if _hash_unit(kr[K_WS - K_PR], i) < q.thr_ws:
            u2 = _hash_unit(kr[K_WS_TYPE - K_PR], i)
            ws = E_ACA if u2 < q.aca else E_PPB if u2 < q.acapb else E_POST
        if _hash_unit(kr[K_STD - K_PR], i) < q.thr_std:
            u2 = _hash_unit(kr[K_STD_LEVEL - K_PR], i)
            std = E_STD_N if u2 < q.sn else E_STD_I if u2 < q.snsi else E_STD_L
        talent = _hash_unit(kr[K_TALENT - K_PR], i) < q.thr_talent
    off, base = 0.0, 0.0
    if big:
        inv = q.off_med * exp1(q.off_sig * _ndtri(_hash_unit(kr[K_OFF_AMOUNT - K_PR], i)))
        if q.rate11 > 0 and inv >= q.p11_lo and inv < q.p11_min:
            inv = q.p11_min
        exp11 = min(q.rate11 * inv, q.cap11) if inv >= q.p11_min else 0.0
        if _hash_unit(kr[K_OFF - K_PR], i) < q.off_prob * (1.0 + q.sal * exp11 / (exp11 + q.cost)):
            off = inv
        if strategic:
            binv = q.base_med * exp1(q.base_sig * _ndtri(_hash_unit(kr[K_BASE_AMOUNT - K_PR], i)))
            exp5 = min(q.rate5 * binv, q.cap5)
            if (_hash_unit(kr[K_BASE - K_PR], i)
                    < q.base_prob * (1.0 + q.sal * exp5 / (exp5 + q.cost))):
                base = binv
    bt = rd >= q.bt_min and _hash_unit(kr[K_BT - K_PR], i) < q.thr_bt
    return pr, pn, ws, std, talent, off, base, bt


@nb.njit(cache=True, inline="always")
def _listing(q, c, key, i, age, r, g, gazelle, unicorn):
    """Whether a firm is newly listed as a gazelle, as a unicorn, on last year's growth."""
    crit = age <= c.gz_age and ((r >= c.lo and r < c.mid and g >= c.min_g0)
                                or (r >= c.mid and r < c.hi and g >= c.min_g1))
    uni = age <= c.uc_age and r * q.mult >= c.min_val
    new_g = crit and not gazelle
    new_u = uni and not unicorn
    if new_g or new_u:
        u = _hash_unit(key, i)
        return new_g and u < q.gz_prob, new_u and u < q.uc_prob
    return False, False


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
    _close(f["active"], f["age"], f["sector"], f["hte"], f["hte_left"], f["hts"], f["rd"],
           f["rd_prev1"], f["rd_prev2"], f["revenue"], f["rev_prev1"], f["rev_prev2"],
           f["growth_last"], f["invested_last"], f["award_last"],
           np.ascontiguousarray(received), load_rules()["sectors"]["strategic_mask"],
           capital / ticket[:, None], q, stream_key_table(rs.roots, _CLOSE_DRAWS, rs.year),
           placed, gone)
    return capital, placed, gone


@nb.njit(cache=True)
def _close(active, age, sector, hte, left, hts, rd, rd1, rd2, rev, rev1, rev2, growth,
           invested, award_last, received, strategic, deals, P, keys, placed, gone):
    B, n = active.shape
    K = deals.shape[1]
    w = np.zeros(n)
    wk = np.zeros((K, n))
    pk = np.zeros(K)
    denom = np.zeros(K)
    for b in range(B):
        q = P[b]
        # investors screen firms by growth and R&D: weights, then each investor's total
        for i in range(n):
            a = active[b, i]
            st = strategic[sector[b, i]]
            w[i] = exp1(min(max(q.wg * growth[b, i]
                                + q.wr * min(rd[b, i] / max(rev[b, i], 1e-9), q.int_max),
                                -WEIGHT_CLIP), WEIGHT_CLIP)) if a else 0.0
            wk[0, i] = w[i] if a and age[b, i] <= q.angel_age else 0.0
            wk[1, i] = w[i] if a and st else 0.0
            wk[2, i] = w[i] if a and st else 0.0
            wk[3, i] = w[i] if a and hte[b, i] else 0.0
        for k in range(K):
            denom[k] = max(pairwise_sum(wk[k], 0, n), 1e-12)
        for i in range(n):
            amount = 0.0
            r0 = rev[b, i]  # this year's revenue, before it grows
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
                # the high-tech product share moves toward h*(I3) (enterprise.adjust_hts)
                if strategic[sector[b, i]]:
                    i3 = (rd[b, i] + rd1[b, i] + rd2[b, i]) / max(r0 + rev1[b, i] + rev2[b, i],
                                                                  1e-9)
                    hts[b, i] = hts[b, i] + q.hts_speed * (i3 / (i3 + q.hts_half) - hts[b, i])
                # growth: sector trend, R&D, equity investment, noise
                trend = q.g_hi if strategic[sector[b, i]] else q.g_trad
                change = log1(max(rd[b, i], 1e-6) / max(rd1[b, i], 1e-6))
                g = (trend + q.el_g * min(max(change, -q.clip), q.clip)
                     + q.boost * (1.0 if invested[b, i] > 0 else 0.0)
                     + q.gsd * _ndtri(_hash_unit(keys[C_GROWTH, b], i)))
                e = exp1(g)
                rev[b, i] = rev[b, i] * e
                growth[b, i] = e - 1.0
            else:
                growth[b, i] = 0.0
            rd2[b, i] = rd1[b, i]
            rd1[b, i] = rd[b, i]
            rev2[b, i] = rev1[b, i]
            rev1[b, i] = r0
            invested[b, i] = amount
            award_last[b, i] = received[b, i]
            if active[b, i]:
                rate = q.exit_rate * (q.large_exit if rev[b, i] >= q.large else 1.0)
                if _hash_unit(keys[C_EXIT, b], i) < rate:
                    active[b, i] = False
                    gone[b] += 1
                else:
                    age[b, i] += 1.0
            left[b, i] = left[b, i] - 1 if hte[b, i] else 0


# -- institutes ---------------------------------------------------------------------------
_SELLER_DRAWS = ("contract_seller", "contract_zone_seller", "contract_seller_firm")


def sellers(contracts: np.ndarray, others: np.ndarray, f: dict, inst_active: np.ndarray,
            p: dict, rs: Streams) -> tuple[np.ndarray, np.ndarray]:
    """model.behaviour.institute.sellers, compiled."""
    B = contracts.shape[0]
    return _sellers(np.ascontiguousarray(contracts), np.ascontiguousarray(others),
                    f["active"], f["rd"], per_run(p, "platform_min_rd", B),
                    per_run(p, "contract_zone_seller_share", B), inst_active.sum(1),
                    inst_active.shape[1], stream_key_table(rs.roots, _SELLER_DRAWS, rs.year))


@nb.njit(cache=True)
def _sellers(contracts, others, active, rd, pmin, zone_share, m_active, M, keys):
    B, n, k = contracts.shape
    out = np.zeros((B, M), np.int64)
    seller = np.full((B, n, k), -1, np.int32)
    elig = np.empty(n, np.int64)  # the run's eligible sellers' slots, in slot order
    for b in range(B):
        m = 0
        for s in range(n):
            if active[b, s] and rd[b, s] >= pmin[b]:
                elig[m] = s
                m += 1
        top = max(m_active[b] - 1, 0)
        rank = 0  # eligible slots before i
        for i in range(n):
            own = active[b, i] and rd[b, i] >= pmin[b]
            mc = m - 1 if own else m
            for j in range(k):
                if contracts[b, i, j] > 0 or others[b, i, j] > 0:
                    slot = i * k + j
                    if mc > 0 and _hash_unit(keys[1, b], slot) < zone_share[b]:
                        pick = min(np.int64(_hash_unit(keys[2, b], slot) * mc), mc - 1)
                        if own and pick >= rank:
                            pick += 1
                        seller[b, i, j] = elig[pick]
                    else:
                        u = _hash_unit(keys[0, b], slot)
                        out[b, min(np.int64(u * m_active[b]), top)] += 1
            if own:
                rank += 1
    return out, seller


__all__ = ["EVENTS", "close_year", "firm_decisions", "sellers"]
