"""User-facing CLI text in English and Chinese: `t(key, lang, **fmt)` and `label(d, lang)`.

The zone's administration reads Chinese, analysts and reviewers often English; one catalogue
keeps both in step. Policy source quotes are never translated: they stay in Chinese in both
languages because the text is the authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "error": {"en": "error: {msg}", "zh": "错误:{msg}"},
    "interrupted": {"en": "interrupted: nothing was half-written; earlier results are as they "
                          "were", "zh": "已中断:没有写入不完整的结果;先前的结果保持原样"},
    "os_error": {"en": "error: {msg}", "zh": "错误:{msg}"},
    # parksim policy
    "policy_title": {"en": "Changji High-tech Zone innovation policy (2020): award clauses",
                     "zh": "昌吉高新区2020年创新政策:奖补条款"},
    "money_note": {"en": "Money in 万元 (10,000 yuan).", "zh": "金额单位:万元。"},
    "col_id": {"en": "id", "zh": "编号"},
    "col_item": {"en": "item", "zh": "条目"},
    "col_clause": {"en": "clause", "zh": "条款"},
    "col_trigger": {"en": "trigger", "zh": "触发条件"},
    "col_award": {"en": "award", "zh": "奖补标准"},
    "col_caps": {"en": "caps", "zh": "上限"},
    "col_kind": {"en": "kind", "zh": "类型"},
    "item_ref": {"en": "A2 item {n}", "zh": "附件2第{n}条"},
    "no_cap": {"en": "-", "zh": "-"},
    "off": {"en": "(off)", "zh": "(停用)"},
    "switches_title": {"en": "Switches (the text's ambiguities)",
                       "zh": "开关(原文的歧义)"},
    "background_title": {"en": "Background policies (in both arms; the region's and the "
                               "nation's money, not the zone's cost)",
                         "zh": "背景政策(政策组与对照组均适用;"
                               "国家和自治区资金,不计入园区财政支出)"},
    "level_national": {"en": "national", "zh": "国家"},
    "level_regional": {"en": "regional", "zh": "自治区"},
    "level_zone": {"en": "zone", "zh": "园区"},
    "bg_years": {"en": "from {first}", "zh": "{first}年起"},
    "bg_years_to": {"en": "{first}-{last}", "zh": "{first}-{last}年"},
    "bg_channel": {"en": "acts through: {text}", "zh": "作用渠道:{text}"},
    "bg_rules": {"en": "national rules (rules.toml): {text}", "zh": "国家规则(rules.toml):{text}"},
    "bg_params": {"en": "amounts (registry): {text}", "zh": "金额与参数(参数表):{text}"},
    "bg_switch": {"en": "switched by {name} = {value} (1 on, 0 off)",
                  "zh": "由{name} = {value}控制(1开,0关)"},
    "bg_modelled": {"en": "modelled: {text}", "zh": "建模方式:{text}"},
    "bg_source": {"en": "source: {text}", "zh": "来源:{text}"},
    "col_switch": {"en": "switch", "zh": "开关"},
    "col_value": {"en": "value", "zh": "取值"},
    "col_default": {"en": "default", "zh": "默认值"},
    "col_choices": {"en": "allowed", "zh": "可选值"},
    "col_rationale": {"en": "rationale", "zh": "理由"},
    "window_line": {"en": "In force: {start} to {end}.", "zh": "有效期:{start}至{end}。"},
    "eligibility_line": {"en": "Eligible: {who}.", "zh": "支持对象:{who}"},
    "source_line": {"en": "Source (Chinese text): {quote}", "zh": "原文:{quote}"},
    # parksim awards
    "awards_title": {"en": "Awards by clause and kind (万元)", "zh": "各条款奖补合计(万元)"},
    "col_total": {"en": "total", "zh": "合计"},
    "col_rows": {"en": "rows", "zh": "行数"},
    "grand_total": {"en": "Grand total", "zh": "总计"},
    "events_read": {"en": "{n} events read from {file}", "zh": "从{file}读取事项{n}条"},
    "ledger_written": {"en": "Ledger ({n} rows) written to {file}",
                       "zh": "奖补明细({n}行)已写入{file}"},
    "zero_reasons": {"en": "Rows with zero award, by reason:", "zh": "零奖补行(按原因):"},
    "no_awards": {"en": "No award rows.", "zh": "无奖补记录。"},
    # kinds and reasons
    "kind_grant": {"en": "grant", "zh": "财政资助"},
    "kind_fund_investment": {"en": "fund investment", "zh": "基金投资"},
    "kind_none": {"en": "none", "zh": "无"},
    "kind_grant+fund_investment": {"en": "grant + fund investment", "zh": "资助+基金投资"},
    # parksim compare / parksim scenarios (model/compare.py)
    "cmp_title": {"en": "Scenario comparison", "zh": "情景比较"},
    "cmp_meta": {"en": "{R} replications per scenario from root seed {seed}: every scenario runs "
                       "on the same random numbers (common random numbers), each run paired "
                       "with its no-policy counterfactual. Reference: **{ref}**.",
                 "zh": "每个情景{R}次重复,根种子{seed}:所有情景使用相同的随机数(共同随机数),"
                       "每次运行与其无政策反事实配对。参照情景:**{ref}**。"},
    "cmp_horizons": {"en": "Note: the scenarios end in different years ({h}); targets and "
                           "costs are read at each scenario's own horizon.",
                     "zh": "注意:各情景的评估年份不同({h});目标与支出均按各自的评估年份计算。"},
    "cmp_side": {"en": "Side by side (95% intervals)", "zh": "并列比较(95%区间)"},
    "cmp_all_nine": {"en": "all nine", "zh": "九项全部"},
    "cmp_cost_row": {"en": "cost paid, {stat} (万元)", "zh": "已支付支出,{stat}(万元)"},
    "cmp_committed_row": {"en": "committed after the horizon, mean (万元)",
                          "zh": "评估期后到期的承诺,均值(万元)"},
    "cmp_unpaid_row": {"en": "claims unpaid by the budget line at the horizon, mean (万元)",
                       "zh": "预算额度内未支付的申领(至评估年),均值(万元)"},
    "cmp_add_row": {"en": "additionality {tid} (policy − no policy)",
                    "zh": "{tid}增量(政策−无政策)"},
    "cmp_diff": {"en": "Paired differences from {ref}", "zh": "与{ref}的配对差值"},
    "cmp_diff_lead": {"en": "Each difference is taken replication by replication on the same "
                            "random numbers; the interval is a paired-t 95% interval. "
                            "pp = percentage points.",
                      "zh": "差值逐次重复计算(相同随机数),区间为配对t检验95%区间。pp为百分点。"},
    "cmp_dcost_all": {"en": "Δ cost paid (万元)", "zh": "Δ已支付支出(万元)"},
    "cmp_dcost_committed": {"en": "Δ committed after the horizon (万元)",
                            "zh": "Δ评估期后承诺(万元)"},
    "cmp_reading": {"en": "Reading", "zh": "解读"},
    "cmp_cost_same": {"en": "costs the same as far as the runs can tell",
                      "zh": "支出差异在区间内不显著"},
    "cmp_cost_more": {"en": "costs {d} 万元 more (95% CI of the difference {lo} to {hi})",
                      "zh": "支出多{d}万元(差值95%区间{lo}至{hi})"},
    "cmp_cost_less": {"en": "costs {d} 万元 less (95% CI of the difference {lo} to {hi})",
                      "zh": "支出少{d}万元(差值95%区间{lo}至{hi})"},
    "cmp_none_moved": {"en": "no indicator moves beyond chance",
                       "zh": "没有指标出现超出随机波动的变化"},
    "cmp_sentence": {"en": "**{name}** against {ref}: {cost}; indicators that differ beyond "
                           "chance at the horizon: {moved}.",
                     "zh": "**{name}**与{ref}相比:{cost};评估年显著变化的指标:{moved}。"},
    "cmp_files": {"en": "Files: comparison.csv (tidy table), comparison.png (figure).",
                  "zh": "文件:comparison.csv(长表)、comparison.png(图)。"},
    "cmp_fig_pmet": {"en": "P(target met) at the horizon, Wilson 95%",
                     "zh": "评估年目标达成概率(Wilson 95%)"},
    "cmp_fig_cost": {"en": "Cost paid: P5–P95, P50 (dot), mean (diamond)",
                     "zh": "已支付支出:P5–P95、中位数(点)、均值(菱形)"},
    "cmp_fig_add": {"en": "Additionality: policy vs no policy, % of no-policy mean",
                    "zh": "政策增量:相对无政策均值的百分比"},
    "scn_title": {"en": "Shipped scenarios (scenarios/):", "zh": "内置情景(scenarios/):"},
    "scn_hint": {"en": "Copy one, change a number, then: parksim compare baseline.toml "
                       "yours.toml",
                 "zh": "复制一个情景文件并修改数值,然后运行:parksim compare baseline.toml "
                       "yours.toml"},
    # parksim calibrate (model/calibration/command.py)
    "calib_start": {"en": "ABC-SMC calibration: {n} parameters, {k} fitted facts, at most "
                          "{budget} model runs.",
                    "zh": "ABC-SMC校准:{n}个参数,{k}个拟合事实,最多{budget}次模型运行。"},
    "calib_written": {"en": "Posterior written: {file} ({n} particles, {runs} runs, {s} s).",
                      "zh": "后验已写入:{file}({n}个粒子,{runs}次运行,{s}秒)。"},
    "calib_validated": {"en": "Predictive checks: {ok} of {n} facts reproduced; table and "
                              "figures in {dir}.",
                        "zh": "预测检验:{n}个事实中再现{ok}个;表格和图见{dir}。"},
}

REASONS: dict[str, dict[str, str]] = {
    "clause_off": {"en": "clause switched off", "zh": "条款停用"},
    "out_of_window": {"en": "outside the validity window", "zh": "不在有效期内"},
    "ineligible": {"en": "unit not eligible", "zh": "不符合支持对象条件"},
    "not_covered": {"en": "not covered under the switch setting", "zh": "按开关设定不适用"},
    "below_threshold": {"en": "below the threshold", "zh": "未达门槛"},
    "already_awarded": {"en": "one-off award already paid", "zh": "一次性奖励已发放"},
    "after_window": {"en": "instalment due after the window, not honoured",
                     "zh": "有效期后到期,不予兑现"},
    "first_year_share": {"en": "2020 share of the year", "zh": "2020年按比例折算"},
    # ledger rows with no reason code that pay nothing (shown by `parksim awards`)
    "cap_reached_per_unit_year": {"en": "cap per unit and year already reached",
                                  "zh": "已达单位年度上限"},
    "cap_reached_per_item": {"en": "cap per item of 0", "zh": "单项上限为0"},
    "zero_amount": {"en": "award of 0 (a zero amount, count, rate or award)",
                    "zh": "奖补为0(金额、数量、比例或奖额为0)"},
}

# Clause parameters' units (model/policy/clauses/*.toml `unit`, without the parenthetical
# remark): templates for a number `v`, as `parksim policy` shows it (shares as percentages).
# Keyed by the English unit so the clause files stay the one source; the en template is that
# unit written after the number, and tests/test_units_i18n.py fails when a clause file uses a
# unit without a zh entry here. Chinese word order differs ("一次性20万元"), hence templates.
UNITS: dict[str, dict[str, str]] = {
    "万元": {"en": "{v} 万元", "zh": "{v}万元"},
    "万元 one-off": {"en": "{v} 万元 one-off", "zh": "一次性{v}万元"},
    "万元 enterprise investment": {"en": "{v} 万元 enterprise investment",
                                   "zh": "企业出资{v}万元"},
    "万元 in the year of the breakthrough": {"en": "{v} 万元 in the year of the breakthrough",
                                             "zh": "突破当年{v}万元"},
    "万元 operating subsidy, year 1": {"en": "{v} 万元 operating subsidy, year 1",
                                       "zh": "第1年运营补贴{v}万元"},
    "万元 operating subsidy, year 2": {"en": "{v} 万元 operating subsidy, year 2",
                                       "zh": "第2年运营补贴{v}万元"},
    "万元 operating subsidy, year 3": {"en": "{v} 万元 operating subsidy, year 3",
                                       "zh": "第3年运营补贴{v}万元"},
    "万元 per base": {"en": "{v} 万元 per base", "zh": "每个基地{v}万元"},
    "万元 per contract": {"en": "{v} 万元 per contract", "zh": "每份合同{v}万元"},
    "万元 per enterprise per year": {"en": "{v} 万元 per enterprise per year",
                                     "zh": "每家企业每年{v}万元"},
    "万元 per excellent rating": {"en": "{v} 万元 per excellent rating",
                                  "zh": "每次考核优秀{v}万元"},
    "万元 per platform": {"en": "{v} 万元 per platform", "zh": "每个平台{v}万元"},
    "万元 per standard": {"en": "{v} 万元 per standard", "zh": "每项标准{v}万元"},
    "万元 per talent": {"en": "{v} 万元 per talent", "zh": "每名人才{v}万元"},
    "万元 per unit per year": {"en": "{v} 万元 per unit per year", "zh": "每家单位每年{v}万元"},
    "patents granted in the year": {"en": "{v} patents granted in the year",
                                    "zh": "当年获授权专利{v}件"},
    "share of enterprise investment": {"en": "{v}% of enterprise investment",
                                       "zh": "企业出资额的{v}%"},
    "share of investment": {"en": "{v}% of investment", "zh": "投资额的{v}%"},
    "share of the contract's actual transaction amount": {
        "en": "{v}% of the contract's actual transaction amount", "zh": "合同实际成交额的{v}%"},
    "share of the tax saved by the super-deduction that year": {
        "en": "{v}% of the tax saved by the super-deduction that year",
        "zh": "当年研发费用加计扣除减免税额的{v}%"},
    "share of the year's grants": {"en": "{v}% of the year's grants",
                                   "zh": "当年授权专利的{v}%"},
}


def unit_text(unit: str, v: str, lang: str = "en") -> str:
    """The number `v` (already formatted; a percentage for shares) with its unit in `lang`.

    A unit missing from UNITS (e.g. from a scenario's extra clause) is written after the
    number as the data gives it, so nothing is lost, only left untranslated."""
    if unit in UNITS:
        return lookup(UNITS, unit, lang, v=v)
    if unit.startswith("share"):
        return f"{v}% {unit.removeprefix('share').strip()}"
    return f"{v} {unit}"


def check_lang(lang: str) -> str:
    """The language code, or ValueError: a typo should not silently print English."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGS}")
    return lang


def lookup(catalogue: Mapping[str, Mapping[str, str]], key: str, lang: str = "en",
           **fmt: Any) -> str:
    """`key` of a message catalogue in `lang`, formatted; English if the Chinese is missing.

    Each part of parksim (CLI, report, sensitivity, dashboard) keeps its own catalogue; this
    is the one way they are read."""
    entry = catalogue[key]
    text = entry.get(check_lang(lang)) or entry["en"]
    return text.format(**fmt) if fmt else text


def t(key: str, lang: str = "en", **fmt: Any) -> str:
    """The CLI message `key` in `lang`, formatted."""
    return lookup(MESSAGES, key, lang, **fmt)


def label(d: Mapping[str, str] | str | None, lang: str = "en") -> str:
    """Pick `d[lang]` from a data dict like `label = { en = ..., zh = ... }`.

    Falls back to the other language, then to '' — the data, not the code, holds the words."""
    if d is None:
        return ""
    if isinstance(d, str):
        return d
    return d.get(check_lang(lang)) or d.get("en") or d.get("zh") or ""


def kind_label(kind: str, lang: str = "en") -> str:
    """A clause's kind (`grant`, `fund_investment`, ...) in words."""
    key = f"kind_{kind}"
    return t(key, lang) if key in MESSAGES else kind


def reason_label(reason: str, lang: str = "en") -> str:
    """Why a ledger row pays nothing (or a share), in words."""
    return label(REASONS.get(reason), lang) or reason
