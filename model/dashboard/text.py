"""The dashboard's words in English and Chinese; keys it lacks come from model.i18n.

Data labels (clauses, switches, targets, sectors) come from the data files in both languages;
only the page's own words are here.
"""

from __future__ import annotations

from typing import Any

from model import i18n

STRINGS: dict[str, dict[str, str]] = {
    "app_title": {"en": "parksim — Changji High-tech Zone policy dashboard",
                  "zh": "parksim — 昌吉高新区创新政策仪表板"},
    "nav_policy": {"en": "Policy", "zh": "政策"},
    "nav_agents": {"en": "Agents", "zh": "主体"},
    "language": {"en": "中文", "zh": "English"},
    "base": {"en": "Base scenario: {name}", "zh": "基准情景:{name}"},
    "reset": {"en": "Back to the base scenario", "zh": "恢复基准情景"},
    "save_name": {"en": "Scenario name", "zh": "情景名称"},
    "save": {"en": "Save as scenario", "zh": "保存为情景"},
    "saved": {"en": "Saved {path} — run it with: parksim run {path}",
              "zh": "已保存{path},运行:parksim run {path}"},
    "save_failed": {"en": "Not saved: {msg}", "zh": "未保存:{msg}"},
    "g_window": {"en": "Policy window and budget", "zh": "政策期限与预算"},
    "g_clauses": {"en": "Award clauses", "zh": "奖补条款"},
    "g_switches": {"en": "Ambiguities of the text", "zh": "原文歧义"},
    "g_uncertainties": {"en": "Key uncertainties", "zh": "主要不确定参数"},
    "status": {"en": "{R} replications, each paired with its no-policy run · {s:.1f} s",
               "zh": "{R}次重复(每次与无政策运行配对)· {s:.1f}秒"},
    "computing": {"en": "computing…", "zh": "计算中…"},
    "refining": {"en": "refining to {R} replications…", "zh": "正在细化至{R}次重复…"},
    "changes": {"en": "Changes from the base scenario: {c}", "zh": "相对基准情景的改动:{c}"},
    "no_changes": {"en": "No change from the base scenario.", "zh": "与基准情景相同。"},
    "kf_pmet": {"en": "P({tid} met)", "zh": "{tid}达成概率"},
    "kf_cost": {"en": "Cost paid {lo}–{hi}, mean", "zh": "{lo}–{hi}年支出均值"},
    "kf_dcost": {"en": "vs base: {d:+,.0f} 万元 (95% CI {a:+,.0f} to {b:+,.0f})",
                 "zh": "较基准:{d:+,.0f}万元(95%区间{a:+,.0f}至{b:+,.0f})"},
    "kf_per_hte": {"en": "Cost per additional HTE", "zh": "每新增一家高企的成本"},
    "kf_add_hte": {"en": "Additional HTEs (policy − no policy)",
                   "zh": "新增高企(政策−无政策)"},
    "undefined": {"en": "not defined", "zh": "无法定义"},
    "th_target": {"en": "Target", "zh": "目标"},
    "th_threshold": {"en": "2025 threshold", "zh": "2025年目标值"},
    "th_now": {"en": "P(met): this setting", "zh": "达成概率:当前设置"},
    "th_base": {"en": "base scenario", "zh": "基准情景"},
    "th_none": {"en": "no policy", "zh": "无政策"},
    "th_delta": {"en": "Δ vs base (paired)", "zh": "较基准变化(配对)"},
    "th_add": {"en": "Additionality", "zh": "政策增量"},
    "ci_note": {"en": "Brackets: 95% intervals (Wilson for probabilities, paired t for "
                      "differences). Money in 万元 (10,000 yuan).",
                "zh": "括号内为95%区间(概率为Wilson区间,差值为配对t区间)。金额单位:万元。"},
    "fig_pmet": {"en": "P(target met in {h}), 95% Wilson", "zh": "{h}年目标达成概率(95% Wilson)"},
    "this_setting": {"en": "this setting", "zh": "当前设置"},
    "base_scn": {"en": "base scenario", "zh": "基准情景"},
    "no_policy": {"en": "no policy", "zh": "无政策"},
    "fig_fan": {"en": "Outlay by year (万元): P5–P95 and median",
                "zh": "各年支出(万元):P5–P95与中位数"},
    "fig_clause": {"en": "Outlay by clause, {lo}–{hi} (万元, mean)",
                   "zh": "各条款支出({lo}–{hi}年,万元,均值)"},
    "band": {"en": "P5–P95", "zh": "P5–P95"},
    "median": {"en": "median", "zh": "中位数"},
    "budget_line": {"en": "budget line", "zh": "预算额度"},
    "year": {"en": "year", "zh": "年份"},
    # what each clause group buys
    "attr_toggle": {"en": "What each clause group buys (Shapley attribution at {R} replications, "
                          "computed on demand: every on/off combination of the groups)",
                    "zh": "各类条款的贡献(Shapley归因,{R}次重复,按需计算:各类条款的全部开关组合)"},
    "attr_computing": {"en": "computing the attribution at {R} replications…",
                       "zh": "正在计算归因({R}次重复)…"},
    "attr_status": {"en": "{R} replications × {C} coalitions = {runs} runs · {s:.1f} s",
                    "zh": "{R}次重复 × {C}种组合 = {runs}次运行 · {s:.1f}秒"},
    "attr_note": {"en": "A group's Shapley value is what it adds on average over every order in "
                        "which the groups could be switched on: the values add up to the whole "
                        "policy's effect, and effects that need two groups are shared equally. "
                        "Leave-one-out: the policy minus the policy without the group. 万元 per "
                        "HTE: the group's own outlay / its Shapley value on T1, when that value's "
                        "95% interval is above 0. Same numbers as attribution.csv of parksim run.",
                  "zh": "某类条款的Shapley值是在各类条款所有可能的开启顺序下"
                        "它带来的平均增量:各类之和等于全部政策的效果,"
                        "需两类条款共同作用的效果由两者均分。逐一剔除:政策减去"
                        "不含该类条款的政策。每新增一家高企的自身支出 = "
                        "该类条款自身支出 / 其在T1上的Shapley值,"
                        "仅当该值的95%区间大于0时给出。"
                        "与parksim run的attribution.csv一致。"},
    # agents page
    "agents_title": {"en": "One run of the zone, agent by agent", "zh": "园区单次运行:逐个主体"},
    "horizon": {"en": "Last year", "zh": "末年"},
    "counterfactual": {"en": "No policy (counterfactual)", "zh": "无政策(反事实)"},
    "seed": {"en": "Random seed", "zh": "随机种子"},
    "fig_sectors": {"en": "Firms by sector, {y}", "zh": "各行业企业数({y}年)"},
    "fig_sectors0": {"en": "Firms by sector (before the first year)",
                     "zh": "各行业企业数(首年之前)"},
    "hte": {"en": "HTE", "zh": "高新技术企业"},
    "not_hte": {"en": "not HTE", "zh": "非高企"},
    "fig_scatter": {"en": "Revenue and R&D intensity", "zh": "营业收入与研发强度"},
    "revenue": {"en": "revenue (万元)", "zh": "营业收入(万元)"},
    "rd_intensity": {"en": "R&D / revenue", "zh": "研发投入/营业收入"},
    "fig_awards": {"en": "Awards paid by clause (万元)", "zh": "各条款奖补支出(万元)"},
    "this_year": {"en": "in {y}", "zh": "{y}年"},
    "so_far": {"en": "cumulative", "zh": "累计"},
    "fig_indicators": {"en": "The nine targets (dashed: 2025 threshold)",
                       "zh": "九项目标(虚线:2025年目标值)"},
    "fig_money": {"en": "Paid per year (万元)", "zh": "每年支出(万元)"},
    "grants_paid": {"en": "grants", "zh": "财政资助"},
    "fund_investment_paid": {"en": "fund investment", "zh": "基金投资"},
    "not_started": {"en": "Press Step to run the first year.", "zh": "点击 Step 运行第一年。"},
    "mesa_note": {"en": "Controls on the left are Mesa's own (SolaraViz): Step runs one year.",
                  "zh": "左侧控件为Mesa自带(SolaraViz,英文):Step运行一年。"},
    # parksim dashboard
    "cmd_starting": {"en": "Starting the dashboard for {name} …",
                     "zh": "正在启动仪表板({name})…"},
    "cmd_ready": {"en": "Dashboard: {url}  (Ctrl-C to stop)",
                  "zh": "仪表板地址:{url}(按Ctrl-C停止)"},
    "cmd_stopped": {"en": "Dashboard stopped.", "zh": "仪表板已停止。"},
    "cmd_screenshot": {"en": "Screenshot written to {path} (P6c award 20 -> 80 万元: "
                              "P(T1) {p0:.0%} -> {p1:.0%}).",
                       "zh": "截图已写入 {path}(P6c 奖励 20 -> 80 万元:"
                             "T1 达成概率 {p0:.0%} -> {p1:.0%})。"},
    # rules and choices
    "pro_rata": {"en": "pro rata", "zh": "按比例"},
    "first_come": {"en": "first come, first served", "zh": "先到先得"},
    "priority": {"en": "clause priority", "zh": "条款优先顺序"},
    "carry": {"en": "carried to next year", "zh": "结转至下一年"},
    "drop": {"en": "dropped", "zh": "不再支付"},
}


def tr(key: str, lang: str = "en", **fmt: Any) -> str:
    """The dashboard text `key` in `lang`; falls back to model.i18n, then to the key."""
    if key in STRINGS:
        return i18n.lookup(STRINGS, key, lang, **fmt)
    return i18n.t(key, lang, **fmt) if key in i18n.MESSAGES else key


def choice_label(value: Any, lang: str) -> str:
    """A choice shown in words when the table has it, else as written in the data."""
    if isinstance(value, bool):
        return {"en": {True: "yes", False: "no"}, "zh": {True: "是", False: "否"}}[lang][value]
    return tr(str(value), lang) if str(value) in STRINGS else str(value)
