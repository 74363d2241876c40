"""The 2020 population and each year's arrivals as numba kernels (model.population).

`populate` fills the 2020 zone and `place_block` one year's arrival block (entrants, relocated
HTEs, settling gazelles and unicorns) in one pass over runs and slots, where the NumPy
statements (`initial_state_reference`, `place_arrivals_reference` in model.population) take
some sixty whole-array operations and three argsorts. They give the same bits: the same
expressions in the same order, the same random numbers (a draw is a hash of its slot,
model.rng), NumPy's summation order where a sum is taken (model.numerics), and the same
selection of the top n slots as a stable descending argsort (`_top`).

Per-run values (parameters, population sizes, revenue shares, logs of medians) are computed
in NumPy by model.population exactly as the reference computes them and reach the kernels as
one record per run; per-sector values (super-deduction, price of R&D) as small tables.

Every exp and log is model.mathfn's (`exp1`, `log1`), the functions the reference calls as
ufuncs, so both give the same bits on any CPU.

numba's on-disk cache is keyed on this file only: after changing model.rng, model.numerics
or model.mathfn, delete the `__pycache__` folders (or touch this file); the bit-identity
tests then fail rather than pass silently.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from model.mathfn import exp1, log1
from model.numerics import pairwise_sum, searchsorted_left
from model.rng import POISSON_EXACT_BELOW, _hash_unit, _ndtri, _poisson_one

_F = np.float64

# stream names, in the rows of the keys the kernels receive
POP_DRAWS = ("pop_sector", "pop_revenue", "pop_rd", "pop_hts", "pop_effort", "pop_age",
             "pop_hte", "pop_hte_left", "pop_patents", "pop_margin", "pop_claim")
(P_SECTOR, P_REVENUE, P_RD, P_HTS, P_EFFORT, P_AGE, P_HTE, P_LEFT, P_PATENTS, P_MARGIN,
 P_CLAIM) = range(len(POP_DRAWS))
# draw_firms' streams, per block, in this order: four normals, then the claim uniform
FIRM_DRAWS = ("rd", "hts", "effort", "margin", "claim")
ARRIVAL_DRAWS = ("entry_count", "relocation_count", "gazelle_count", "unicorn_count",
                 "entry_sector", "entry_subsector", "entry_revenue", "relocation_revenue",
                 "settle_revenue",
                 *(f"{tag}_{d}" for tag in ("entry", "reloc", "settle") for d in FIRM_DRAWS))
(A_ENTRY_N, A_RELOC_N, A_GAZ_N, A_UNI_N, A_SECTOR, A_SUBSECTOR, A_ENTRY_REV, A_RELOC_REV,
 A_SETTLE_REV) = range(9)
A_FIRM = 9  # draw_firms' streams (FIRM_DRAWS) of entrants, relocations, settlers
N_FIRM_DRAWS = len(FIRM_DRAWS)

# per-run values of draw_firms (names as in model.population.draw_firms)
FIRM_RUN = ("med_hi", "med_trad", "sigma_rd", "int_max", "hts_hi", "hts_sd", "sigma_eff",
            "pm", "pm_sd", "relabel", "tk_small", "tk_medium", "tk_large", "tk_hte")
# per-run values of the 2020 population (names as in model.population.initial_state_reference)
POP_RUN = np.dtype([(k, _F) for k in (
    "n_firms", "m_hte", "sigma_rev", "total", "sh_large", "sh_str", "sh_trad", "norm",
    *FIRM_RUN, "age_max", "pat_per_firm", "m_platforms", "m_workstations", "score_floor")])
# per-run values of a year's arrivals
ARRIVAL_RUN = np.dtype([(k, _F) for k in (
    "lam_entry", "lam_reloc", "lam_gazelle", "lam_unicorn", "share_hitech", "log_med_entry",
    "log_med_reloc", "sigma_rev", "log_unicorn", *FIRM_RUN)])


def top_count(n, width: int) -> np.ndarray:
    """How many slots `rank < n` selects, per run: ranks are whole numbers 0 .. width - 1."""
    n = np.asarray(n, _F)
    m = np.where(n > 0, np.ceil(np.minimum(n, width)), 0.0)  # NaN: no rank is below it
    return np.where(np.isnan(m), 0.0, m)


@nb.njit(cache=True)
def _top(s, m, out, buf):
    """out[i] = True for the m slots ranked first in a stable descending sort of s.

    Equal to `_rank_desc(...) < n` (argsort of -s, kind="stable"), without the sort: every
    slot above the m-th largest value, then the slots equal to it in slot order. s holds no
    NaN; -inf marks a slot that is not eligible (ranked last, in slot order), and as most
    slots are, only the others are searched for the m-th largest value (buf: scratch)."""
    n = s.size
    k = 0
    for i in range(n):
        if s[i] > -np.inf:
            buf[k] = s[i]
            k += 1
    if m <= 0:
        thr, need = np.inf, 0  # nothing is above +inf: none selected
    elif m > k:
        thr, need = -np.inf, m - k  # all eligible, then the first m - k others
    else:
        thr = np.partition(buf[:k], k - m)[k - m]  # the m-th largest eligible value
        need = m
        for i in range(k):
            if buf[i] > thr:
                need -= 1
    for i in range(n):
        out[i] = s[i] > thr
    for i in range(n):
        if need == 0:
            break
        if s[i] == thr:
            out[i] = True
            need -= 1


@nb.njit(cache=True, inline="always")
def _normals(key, start, n, out):
    """out[:n] = the normals of slots start .. start + n - 1 (one tight loop: it pipelines)."""
    for j in range(n):
        out[j] = _ndtri(_hash_unit(key, start + j))


@nb.njit(cache=True, inline="always")
def price0(r, tax, size_bands, hte, margin, u_claim, revenue, sd):
    """model.population.price0 for one firm: 1 - tau (1 + s·c), tax = (standard, HTE) rates,
    sd its sector's super-deduction rate of last year."""
    t = tax[1] if hte else tax[0]
    tau = t if margin > 0 else 0.0
    if hte:
        tk = r.tk_hte
    elif revenue < size_bands[0]:
        tk = r.tk_small
    elif revenue < size_bands[1]:
        tk = r.tk_medium
    else:
        tk = r.tk_large
    sdc = sd if u_claim < tk else 0.0
    return 1.0 - tau * (1.0 + sdc)


@nb.njit(cache=True, inline="always")
def _draw_firm(f_sector, f_revenue, f_rev1, f_rev2, f_rd, f_rd1, f_rd2, f_kappa, f_hts,
               f_effort, f_margin, f_claim, f_price0, f_entry_year, b, i, sector, log_rev,
               strategic, r, z_rd, z_hts, z_eff, z_margin, u_claim, tax, size_bands, sd, year):
    """model.population.draw_firms for slot i of run b (z_*: its normals, u_claim its uniform;
    sd: its sector's super-deduction rate of last year)."""
    med = r.med_hi if strategic else r.med_trad
    intensity = min(med * exp1(r.sigma_rd * z_rd), r.int_max)
    revenue = exp1(log_rev)
    rd = revenue * intensity
    f_sector[b, i] = sector
    f_revenue[b, i] = revenue
    f_rev1[b, i] = revenue
    f_rev2[b, i] = revenue
    f_rd[b, i] = rd
    f_rd1[b, i] = rd
    f_rd2[b, i] = rd
    f_kappa[b, i] = intensity
    f_hts[b, i] = min(max(r.hts_hi + r.hts_sd * z_hts, 0.0), 1.0) if strategic else 0.0
    f_effort[b, i] = exp1(r.sigma_eff * z_eff)
    margin = r.pm + r.pm_sd * z_margin
    f_margin[b, i] = margin
    f_claim[b, i] = u_claim
    f_price0[b, i] = price0(r, tax, size_bands, False, margin, u_claim, revenue, sd)
    f_entry_year[b, i] = year
    return intensity


@nb.njit(cache=True)
def populate(keys, run, n0, n_large, cdf, strategic_mask, traditional, min_hts, bands,
             rd_intensity, validity, tax, size_bands, sd, year, f_active, f_sector, f_age,
             f_revenue, f_rev1, f_rev2, f_rd, f_rd1, f_rd2, f_kappa, f_hts, f_effort, f_margin,
             f_claim, f_price0, f_entry_year, f_hte, f_ever_hte, f_hte_left, f_pat, f_platforms,
             f_workstations, patents_2020):
    """model.population.initial_state_reference, per run: fills slots 0 .. n0 - 1.

    tax: the (standard, HTE) income-tax rates; sd[sector]: last year's super-deduction."""
    B = keys.shape[1]
    sector = np.empty(n0, np.int8)
    cls = np.empty(n0, np.int8)  # revenue class: 0 large, 1 strategic, 2 other; -1 inactive
    raw = np.empty(n0)
    rev = np.empty(n0)
    rd = np.empty(n0)
    row = np.empty(n0)  # a row to sum, or to rank
    elig = np.empty(n0, np.bool_)
    hte = np.empty(n0, np.bool_)
    sel = np.empty(n0, np.bool_)
    buf = np.empty(n0)
    sums = np.empty(3)
    z = np.empty((5, n0))
    n_sec = cdf.size
    for b in range(B):
        r = run[b]
        for d, k in enumerate((P_REVENUE, P_RD, P_HTS, P_EFFORT, P_MARGIN)):
            _normals(keys[k, b], 0, n0, z[d])
        # sectors (the first n_large slots: the large traditional firms), raw revenue
        for i in range(n0):
            s = searchsorted_left(cdf, _hash_unit(keys[P_SECTOR, b], i))
            sector[i] = traditional if i < n_large else min(s, n_sec - 1)
            active = i < r.n_firms
            raw[i] = exp1(r.sigma_rev * z[0, i]) if active else 0.0
            cls[i] = -1 if not active else (
                0 if i < n_large else (1 if strategic_mask[sector[i]] else 2))
        # revenue scaled to the shares of large, strategic and other firms
        for c in range(3):
            for i in range(n0):
                row[i] = raw[i] if cls[i] == c else 0.0
            sums[c] = max(pairwise_sum(row, 0, n0), 1e-12)
        for i in range(n0):
            c = cls[i]
            share = r.sh_large if c == 0 else (r.sh_str if c == 1 else r.sh_trad)
            rev[i] = raw[i] / sums[c] * share / r.norm * r.total if c >= 0 else 0.0
        # the firms' attributes (draw_firms) and age; the HTE candidates scored
        for i in range(n0):
            strategic = strategic_mask[sector[i]]
            intensity = _draw_firm(f_sector, f_revenue, f_rev1, f_rev2, f_rd, f_rd1, f_rd2,
                                   f_kappa, f_hts, f_effort, f_margin, f_claim, f_price0,
                                   f_entry_year, b, i, sector[i], log1(max(rev[i], 1e-6)),
                                   strategic, r, z[1, i], z[2, i], z[3, i], z[4, i],
                                   _hash_unit(keys[P_CLAIM, b], i), tax, size_bands,
                                   sd[sector[i]], year)
            f_active[b, i] = cls[i] >= 0
            f_age[b, i] = 1.0 + np.floor(_hash_unit(keys[P_AGE, b], i) * r.age_max)
            elig[i] = cls[i] >= 0 and strategic and f_hts[b, i] >= min_hts
            row[i] = (intensity * (r.score_floor + _hash_unit(keys[P_HTE, b], i)) if elig[i]
                      else -np.inf)
        # HTEs: the best placed; R&D raised to the real threshold of their revenue band
        _top(row, int(r.m_hte), sel, buf)
        for i in range(n0):
            h = elig[i] and sel[i]
            hte[i] = h
            revenue = f_revenue[b, i]
            x = f_rd[b, i]
            if h:
                x = max(x, rd_intensity[searchsorted_left(bands, revenue)] * (1.0 - r.relabel)
                        * revenue)
            rd[i] = x
            f_rd[b, i] = x
            f_rd1[b, i] = x
            f_rd2[b, i] = x
            f_kappa[b, i] = x / max(revenue, 1e-9)
            f_hte[b, i] = h
            f_ever_hte[b, i] = h
            f_hte_left[b, i] = np.int8(
                1.0 + np.floor(_hash_unit(keys[P_LEFT, b], i) * validity)) if h else 0
            f_price0[b, i] = price0(r, tax, size_bands, h, f_margin[b, i], f_claim[b, i],
                                    revenue, sd[sector[i]])
        # patents by R&D (an HTE owns at least one)
        n_active = 0
        for i in range(n0):
            n_active += cls[i] >= 0
            row[i] = rd[i] if cls[i] >= 0 else 0.0
        mean_rd = pairwise_sum(row, 0, n0) / _F(max(n_active, 1))
        for i in range(n0):
            if cls[i] >= 0:
                lam = r.pat_per_firm * rd[i] / mean_rd
                k = _poisson_one(_hash_unit(keys[P_PATENTS, b], i), lam, POISSON_EXACT_BELOW)
                f_pat[b, i] = _F(max(k, np.int64(hte[i])))
            else:
                f_pat[b, i] = 0.0
            row[i] = f_pat[b, i]
        patents_2020[b] = pairwise_sum(row, 0, n0)
        # platforms to the top R&D spenders, workstations to the top HTEs by revenue
        for i in range(n0):
            row[i] = rd[i] if cls[i] >= 0 else -np.inf
        _top(row, int(r.m_platforms), sel, buf)
        for i in range(n0):
            f_platforms[b, i] = sel[i]
            row[i] = f_revenue[b, i] if hte[i] else -np.inf
        _top(row, int(r.m_workstations), sel, buf)
        for i in range(n0):
            f_workstations[b, i] = sel[i]


@nb.njit(cache=True)
def place_block(keys, run, starts, caps, sub_cdf, strategic_ids, strategic_mask, traditional,
                log_g0, log_g_ratio, min_hts, bands, rd_intensity, validity, min_age, tax,
                size_bands, sd, origins, year, f_active, f_sector, f_origin, f_age, f_revenue,
                f_rev1, f_rev2, f_rd, f_rd1, f_rd2, f_kappa, f_hts, f_effort, f_margin, f_claim,
                f_price0, f_entry_year, f_hte, f_ever_hte, f_hte_left, f_pat, f_gazelle,
                f_unicorn, ev_reloc, ev_gazelle, ev_unicorn, lost):
    """model.population.place_arrivals_reference, per run: fills the year's three blocks.

    starts/caps: (entrants, relocations, settlers); origins: (entrant, relocated_hte,
    settled_gazelle, settled_unicorn); tax: the (standard, HTE) income-tax rates; sd[sector]:
    last year's super-deduction."""
    B = keys.shape[1]
    n_ids = sub_cdf.size
    z = np.empty((N_FIRM_DRAWS, caps.max()))
    for b in range(B):
        r = run[b]
        # counts (entry.arrivals): Poisson, the excess beyond the block's capacity lost
        counts = np.empty(4, np.int64)
        for c in range(4):
            lam = r.lam_entry if c == 0 else (
                r.lam_reloc if c == 1 else (r.lam_gazelle if c == 2 else r.lam_unicorn))
            cap = caps[min(c, 2)]
            n = _poisson_one(_hash_unit(keys[A_ENTRY_N + c, b], 0), lam, POISSON_EXACT_BELOW)
            counts[c] = min(n, cap)
            lost[b] += np.int32(max(n - cap, 0))
        ng = counts[2]
        nu = min(counts[3], caps[2] - ng)
        for blk in range(3):
            start, cap = starts[blk], caps[blk]
            live_n = counts[blk] if blk < 2 else ng + nu
            base = A_FIRM + N_FIRM_DRAWS * blk
            for d in range(N_FIRM_DRAWS - 1):  # draw_firms' normals, then its claim uniform
                _normals(keys[base + d, b], start, cap, z[d])
            for j in range(cap):
                z[N_FIRM_DRAWS - 1, j] = _hash_unit(keys[base + N_FIRM_DRAWS - 1, b], start + j)
            for j in range(cap):
                i = start + j
                # sector: high-tech with the entry share, else traditional (entry.entrant_sectors);
                # relocations and settlers are never traditional
                u = _hash_unit(keys[A_SECTOR, b], i)
                u2 = _hash_unit(keys[A_SUBSECTOR, b], i)
                s = searchsorted_left(sub_cdf, u2)
                sec = strategic_ids[min(s, n_ids - 1)] if u < r.share_hitech else traditional
                if blk > 0 and sec == traditional:
                    sec = 0
                is_uni = blk == 2 and ng <= j < ng + nu
                if blk == 0:
                    log_rev = r.log_med_entry + r.sigma_rev * _ndtri(
                        _hash_unit(keys[A_ENTRY_REV, b], i))
                elif blk == 1:
                    log_rev = r.log_med_reloc + r.sigma_rev * _ndtri(
                        _hash_unit(keys[A_RELOC_REV, b], i))
                else:
                    u_rev = _hash_unit(keys[A_SETTLE_REV, b], i)
                    log_rev = r.log_unicorn if is_uni else log_g0 + u_rev * log_g_ratio
                _draw_firm(f_sector, f_revenue, f_rev1, f_rev2, f_rd, f_rd1, f_rd2, f_kappa,
                           f_hts, f_effort, f_margin, f_claim, f_price0, f_entry_year, b, i,
                           np.int8(sec), log_rev, strategic_mask[sec], r, z[0, j], z[1, j],
                           z[2, j], z[3, j], z[4, j], tax, size_bands, sd[sec], year)
                live = j < live_n
                f_active[b, i] = live
                f_origin[b, i] = origins[blk]
                f_age[b, i] = 0.0
                if blk == 1:  # established, certified, strategic (P6d)
                    f_hts[b, i] = max(f_hts[b, i], min_hts)
                    revenue = f_revenue[b, i]
                    thr = (rd_intensity[searchsorted_left(bands, revenue)] * (1.0 - r.relabel)
                           * revenue)
                    x = max(f_rd[b, i], thr)
                    f_rd[b, i] = x
                    f_rd1[b, i] = max(f_rd1[b, i], thr)
                    f_rd2[b, i] = max(f_rd2[b, i], thr)
                    f_kappa[b, i] = x / revenue
                    f_age[b, i] = min_age
                    f_hte[b, i] = live
                    f_ever_hte[b, i] = live
                    f_pat[b, i] = max(f_pat[b, i], _F(live))
                    f_hte_left[b, i] = validity if live else 0
                    f_price0[b, i] = price0(r, tax, size_bands, True, f_margin[b, i],
                                            f_claim[b, i], revenue, sd[sec])
                    ev_reloc[b, i] = live
                elif blk == 2:  # listed gazelles, then unicorns (P6b, P6a)
                    if is_uni:
                        f_origin[b, i] = origins[3]
                    f_gazelle[b, i] = live and not is_uni
                    f_unicorn[b, i] = live and is_uni
                    f_age[b, i] = min_age
                    ev_gazelle[b, i] = live and not is_uni
                    ev_unicorn[b, i] = live and is_uni
