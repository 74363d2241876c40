"""summary.md: one page an analyst can read without opening the CSVs.

Built only from the tidy tables a run writes (and a few facts about the run), so every number
on the page can be traced to a row of a CSV.
"""

from __future__ import annotations

import math

import pandas as pd

from model.policy.groups import group_label
from model.report.i18n import t
from model.targets import TARGET_IDS, load_targets

FIGURES = ("fan_chart.png", "fiscal_exposure.png", "targets.png")
OWN_CLAUSE = "P6c"  # the clause whose own money per additional HTE stands beside the whole outlay


def pct(p: float) -> str:
    return "n/a" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{100 * p:.1f}%"


def money(x: float) -> str:
    return f"{x:,.0f}"


def _num(x: float, share: bool = False, digits: int = 1, pp: bool = False) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "n/a"
    if share:  # a difference of two shares is in percentage points
        return f"{100 * x:.{digits}f}" + (" pp" if pp else "%")
    s = f"{x:,.2f}".rstrip("0").rstrip(".")
    return s if s not in ("-0", "") else "0"


def _ci(lo: float, hi: float, share: bool = False, digits: int = 1, pp: bool = False) -> str:
    if share:
        return f"[{_num(lo, True, digits, pp)}, {_num(hi, True, digits, pp)}]"
    return f"[{_num(lo)}, {_num(hi)}]"


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def _own_money_row(paid: pd.DataFrame, add_t1: pd.Series, clause: str, L: str) -> list:
    """A clause's own mean outlay per additional HTE (fiscal.csv's mean over additionality.csv's
    additional HTEs), beside the whole-outlay figure: [] when the clause pays nothing here."""
    own = paid[(paid["clause"] == clause) & (paid["kind"] != "all") & (paid["year"] == "all")
               & (paid["statistic"] == "mean")]["value"]
    if own.empty or not own.sum() > 0:
        return []
    label = t("hte_own", L, clause=clause)
    if not add_t1["ci_low"] > 0:  # the rule of the whole-outlay figure
        return [[label, t("not_defined", L), ""]]
    return [[label, money(own.sum() / add_t1["estimate"]), ""]]


def _attribution(att: pd.DataFrame, rec: dict, R: int, L: str) -> list[str]:
    """The section on what each clause group buys (attribution.csv)."""
    n = int(att["replications"].iloc[0])
    shown = {m: att[att["measure"] == m].set_index("group") for m in ("T1", "T5", "T7", "cost")}
    players = rec.get("players") or []
    out = [f"## {t('h_attr', L)}", "",
           t("attr_lead", L, n=n, of=t("attr_all", L) if n == R else t("attr_first", L, n=n, R=R),
             G=len(players), M=rec.get("coalitions", 1 << len(players))), ""]
    rows = []
    for g in shown["T1"].index:
        h, c = shown["T1"].loc[g], shown["cost"].loc[g]
        name = t("total_row", L) if g == "total" else group_label(g, L)
        per = h["cost_per_additional"]
        rows.append([name, money(c["own_outlay"]), money(c["shapley"]),
                     f"{_num(h['shapley'])} {_ci(h['shapley_ci_low'], h['shapley_ci_high'])}",
                     _num(h["leave_one_out"]), "" if math.isnan(per) else money(per),
                     _num(shown["T5"].loc[g, "shapley"]), _num(shown["T7"].loc[g, "shapley"])])
    out += [_table([t("col_group", L), t("col_own", L), t("col_cost_shapley", L),
                    t("col_hte_shapley", L), t("col_hte_loo", L), t("col_per_hte_own", L),
                    t("col_t5_shapley", L), t("col_t7_shapley", L)], rows), "",
            t("attr_notes", L), ""]
    dummies = [group_label(g, L) for g in shown["T1"].index
               if g != "total" and g not in players]
    if dummies:
        out += [t("attr_dummies", L, groups=", ".join(dummies)), ""]
    return out


def render(tables: dict[str, pd.DataFrame], info: dict, lang: str = "en") -> str:
    """The markdown page. `info` holds name, purpose, replications, seed, engine, digest,
    horizon, start, shared_counterfactual, budget_line, ledger_check, clause_labels,
    figures_lang."""
    L = lang
    tg, fi, ind, add = (tables[k] for k in ("targets", "fiscal", "indicators", "additionality"))
    if "payer" in fi:  # totals: every payer's money (each payer's own total is a row apart)
        fi = fi[(fi["clause"] != "all") | (fi["payer"] == "all")]
    meta = load_targets()
    h, lo_y, R = info["horizon"], info["start"], info["replications"]
    lines = [f"# {t('sum_title', L, name=info['name'])}", ""]
    if info.get("purpose"):
        lines += [f"*{info['purpose']}*", ""]
    lines += [t("sum_meta", L, R=R, seed=info["seed"], engine=info["engine"],
                digest=info["digest"], h=h), ""]
    if info.get("shared_counterfactual"):
        lines += [t("sum_shared", L), ""]

    # -- targets ---------------------------------------------------------------------------
    pm = tg[tg["measure"] == "p_met"].set_index(["arm", "target"])
    cnt = tg[tg["measure"] == "p_count_met"]

    def median_count(arm: str) -> int:
        c = cnt[cnt["arm"] == arm].sort_values("count")
        return int(c["count"].to_numpy()[(c["probability"].cumsum() >= 0.5).to_numpy()][0])

    pol = pm.loc["policy"].reindex(list(TARGET_IDS))["probability"]
    best = ", ".join(f"{i} ({pct(pol[i])})" for i in pol.sort_values(ascending=False).index[:3])
    worst = ", ".join(f"{i} ({pct(pol[i])})" for i in pol.sort_values().index[:3])
    a, c = pm.loc[("policy", "all")], pm.loc[("counterfactual", "all")]
    lines += [f"## {t('h_targets', L)}", "",
              t("targets_lead", L, p_all=pct(a["probability"]),
                ci_all=_ci(a["ci_low"], a["ci_high"], True), c_all=pct(c["probability"]),
                med=median_count("policy"), cmed=median_count("counterfactual"), best=best,
                worst=worst), ""]
    med = ind[(ind["year"] == h) & (ind["statistic"] == "p50")].set_index(["arm", "target"])
    rows = []
    for tid in [*TARGET_IDS, "all"]:
        p, q = pm.loc[("policy", tid)], pm.loc[("counterfactual", tid)]
        if tid == "all":
            label, thr, m1, m0 = t("all_nine", L), "", "", ""
        else:
            share = meta[tid]["unit"] == "share"
            label = f"{tid} {meta[tid]['label'][L]}"
            thr = f"{meta[tid]['op']} {_num(meta[tid]['threshold'], share)}"
            m1 = _num(med.loc[("policy", tid), "value"], share)
            m0 = _num(med.loc[("counterfactual", tid), "value"], share)
        rows.append([label, thr, f"{pct(p['probability'])} {_ci(p['ci_low'], p['ci_high'], True)}",
                     f"{pct(q['probability'])} {_ci(q['ci_low'], q['ci_high'], True)}", m1, m0])
    lines += [_table([t("col_target", L), t("col_threshold", L), t("col_p_policy", L),
                      t("col_p_cf", L), t("col_med_policy", L, h=h), t("col_med_cf", L, h=h)],
                     rows), ""]

    # -- fiscal ----------------------------------------------------------------------------
    paid = fi[fi["measure"] == "paid"]
    tot = paid[(paid["clause"] == "all") & (paid["kind"] == "all")]
    tot_all = tot[tot["year"] == "all"].set_index("statistic")["value"]
    yearly = tot[tot["year"] != "all"].pivot_table(index="year", columns="statistic",
                                                     values="value")
    kinds = paid[(paid["clause"] == "all") & (paid["statistic"] == "mean")].pivot_table(
        index="year", columns="kind", values="value")
    comm = fi[(fi["measure"] == "committed") & (fi["clause"] == "all") & (fi["kind"] == "all")
              & (fi["year"] == "all")].set_index("statistic")["value"]
    peak = yearly["mean"].idxmax()
    lines += [f"## {t('h_fiscal', L)}", "",
              t("fiscal_lead", L, lo=lo_y, hi=h, mean=money(tot_all["mean"]),
                p50=money(tot_all["p50"]), p90=money(tot_all["p90"]),
                p95=money(tot_all["p95"]), max=money(tot_all["max"]), R=R,
                fund=money(kinds.loc["all", "fund_investment"]), peak=peak,
                peak_v=money(yearly.loc[peak, "mean"]), comm=money(comm["mean"]),
                comm95=money(comm["p95"])), ""]
    rows = [[y, money(r["mean"]), money(r["p50"]), money(r["p90"]), money(r["p95"]),
             money(r["max"]), money(kinds.loc[y, "grant"]),
             money(kinds.loc[y, "fund_investment"])] for y, r in yearly.iterrows()]
    lines += [_table([t("col_year", L), t("col_mean", L), "P50", "P90", "P95", "max",
                      t("col_grant", L), t("col_fund", L)], rows), "",
              t("fiscal_units", L), ""]
    by_clause = paid[(paid["clause"] != "all") & (paid["kind"] != "all")
                     & (paid["year"] == "all") & (paid["statistic"] == "mean")]
    by_clause = by_clause.groupby("clause")["value"].sum().sort_values(ascending=False)
    by_clause = by_clause[by_clause > 0]
    labels = info.get("clause_labels", {})
    total_mean = tot_all["mean"]
    rows = [[f"{cid} {labels.get(cid, '')}".strip(), money(v),
             pct(v / total_mean) if total_mean > 0 else "n/a"] for cid, v in by_clause.items()]
    if rows:
        lines += [t("top_clauses", L), "",
                  _table([t("col_clause", L), t("col_mean", L), t("col_share", L)], rows), ""]
    bl = info.get("budget_line")
    if bl is not None:
        pe = fi[(fi["measure"] == "p_exceeds") & (fi["year"] == "any")]
        pa = pe[pe["kind"] == "all"].set_index("statistic")["value"]
        pg = pe[pe["kind"] == "grant"].set_index("statistic")["value"]
        lines += [t("budget_line", L, x=money(bl), p=pct(pa["probability"]),
                    ci=_ci(pa["ci_low"], pa["ci_high"], True), pg=pct(pg["probability"])), ""]
    cb = fi[fi["measure"] == "cap_bound"]
    if not cb.empty and cb["value"].sum() > 0:
        per_year = cb.groupby("year")["value"].sum()
        yb = per_year.idxmax()
        capped = sorted(cb["clause"].unique(), key=lambda c: list(labels).index(c)
                        if c in labels else 0)
        pmean = paid[(paid["clause"].isin(capped)) & (paid["year"] == yb)
                     & (paid["statistic"] == "mean") & (paid["kind"] != "all")]["value"].sum()
        lines += [t("worst", L, max=money(tot_all["max"]), clauses=", ".join(capped),
                    cap=money(per_year[yb]), year=yb, mean=money(pmean)), ""]

    # -- additionality -----------------------------------------------------------------------
    lines += [f"## {t('h_add', L)}", "", t("add_lead", L, h=h), ""]
    dif = add[add["measure"] == "difference"].set_index("target")
    rows = []
    for tid in TARGET_IDS:
        r = dif.loc[tid]
        share = meta[tid]["unit"] == "share"
        rows.append([f"{tid} {meta[tid]['label'][L]}", _num(r["policy_mean"], share),
                     _num(r["counterfactual_mean"], share), _num(r["estimate"], share, 2, True),
                     _ci(r["ci_low"], r["ci_high"], share, 2, True)])
    lines += [_table([t("col_target", L), t("col_mean", L) + " " + t("policy", L),
                      t("col_mean", L) + " " + t("counterfactual", L), t("col_diff", L),
                      t("col_ci", L)], rows), ""]
    cost = add[add["measure"] == "cost_per_additional"].set_index("target")
    names = {"T1": "hte", "T5": "platform", "T7": "patent"}
    rows = []
    for tid, key in names.items():
        if tid not in cost.index:
            continue
        r = cost.loc[tid]
        what = t("whole_outlay", L, what=t(key, L))
        if r["status"] == "ok":
            rows.append([what, money(r["estimate"]),
                         f"[{money(r['ci_low'])}, {money(r['ci_high'])}]"])
        else:
            why = "not_defined_neg" if "lowers" in r["status"] else "not_defined"
            rows.append([what, t(why, L), ""])
        if tid == "T1":
            rows += _own_money_row(paid, dif.loc["T1"], OWN_CLAUSE, L)
    lines += [_table([t("col_cost", L), t("col_estimate", L), t("col_ci", L)], rows), ""]
    if "attribution" in tables:
        lines += _attribution(tables["attribution"], info.get("attribution") or {}, R, L)
    elif (info.get("attribution") or {}).get("replications") == 0:
        lines += [t("attr_off", L), ""]

    # -- figures, files, checks ----------------------------------------------------------------
    lines += [f"## {t('h_figs', L)}", ""]
    if L == "zh" and info.get("figures_lang") != "zh":
        lines += [t("no_cjk", L), ""]
    lines += [f"![{f}]({f})" for f in FIGURES] + [""]
    lines += [f"## {t('h_files', L)}", "", t("files", L), ""]
    achk = (info.get("attribution") or {}).get("check") or {}
    if achk and not achk.get("agree"):
        lines += [t("attr_check_bad", L), ""]
    chk = info.get("ledger_check") or {}
    if chk:
        d = float(chk["max_abs_difference_wan_yuan"])
        key = "check_ok" if chk.get("agree") else "check_bad"
        lines += [t(key, L, n=len(chk["replications"]), d=d), ""]
    return "\n".join(lines)
