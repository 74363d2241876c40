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
    "bg_english_only": {"en": "", "zh": "各背景政策的金额、来源与建模说明仅有英文版:"
                                          "`parksim policy`"},
    "bg_source": {"en": "source: {text}", "zh": "来源:{text}"},
    "col_switch": {"en": "switch", "zh": "开关"},
    "col_value": {"en": "value", "zh": "取值"},
    "col_default": {"en": "default", "zh": "默认值"},
    "col_choices": {"en": "allowed", "zh": "可选值"},
    "col_rationale": {"en": "rationale", "zh": "理由"},
    "window_line": {"en": "In force: {start} to {end}.", "zh": "有效期:{start}至{end}。"},
    "eligibility_line": {"en": "Eligible: {who}.", "zh": "支持对象:{who}"},
    "source_line": {"en": "Source (Chinese text): {quote}", "zh": "原文:{quote}"},
    "events_hint": {"en": "Event types for `parksim awards`: `parksim events`.",
                    "zh": "`parksim awards`可用的事项类型:`parksim events`。"},
    # parksim events
    "events_title": {"en": "Event types of an events CSV (parksim awards)",
                     "zh": "事项文件(parksim awards)可用的事项类型"},
    "events_columns": {"en": "Columns: unit_id (any text: credit code, name, number), year, "
                             "event, amount, eligible (blank = true); optional credit_code "
                             "(GB 32100-2015, checked). docs/events.md lists the same.",
                       "zh": "列:unit_id(任意文本:统一社会信用代码、名称或编号)、year、event、"
                             "amount、eligible(留空即为是);可选列credit_code(按GB 32100-2015"
                             "校验)。docs/events.md列有同样内容。"},
    # parksim awards
    "awards_title": {"en": "Awards by clause and kind (万元)", "zh": "各条款奖补合计(万元)"},
    "col_total": {"en": "total", "zh": "合计"},
    "col_rows": {"en": "rows", "zh": "行数"},
    "grand_total": {"en": "Grand total", "zh": "总计"},
    "events_read": {"en": "{n} events read from {file}", "zh": "从{file}读取事项{n}条"},
    "ledger_written": {"en": "Ledger ({n} rows) written to {file}",
                       "zh": "奖补明细({n}行)已写入{file}"},
    "workbook_written": {"en": "Workbook written to {file}", "zh": "Excel工作簿已写入{file}"},
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
    "cmp_exceeds_row": {"en": "P(some year's outlay above the budget line of {x} 万元)",
                        "zh": "某年支出超出预算线{x}万元的概率"},
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
    "calib_validated": {"en": "Predictive checks: {ok} of {n} held-out facts inside the "
                              "model's 90% interval; table and figures in {dir}.",
                        "zh": "预测检验:{n}个留出事实中{ok}个落在模型90%预测区间内;表格和图见"
                              "{dir}。"},
    # parksim run: the first run's compile notice and the headline (model/report/headline.py)
    "compile_notice": {"en": "compiling the engine once, about a minute (later runs start at "
                             "once; not counted in the time estimate)",
                       "zh": "首次运行:正在编译计算引擎,约需一分钟(之后的运行立即开始;"
                             "不计入剩余时间估计)"},
    "took": {"en": "done in {s}", "zh": "用时{s}"},
    "took_compiled": {"en": "done in {s}, after {c} compiling the engine once",
                      "zh": "用时{s},此前一次性编译引擎用时{c}"},
    "seconds": {"en": "{v:.1f} s", "zh": "{v:.1f}秒"},
    "minutes": {"en": "{m} min {s:02d} s", "zh": "{m}分{s:02d}秒"},
    "headline_p": {"en": "P({tid} met) {p} [{lo}, {hi}]",
                   "zh": "P({tid}达成) {p} [{lo}, {hi}]"},
    "headline_all": {"en": "P(all nine met) {p} [{lo}, {hi}]",
                     "zh": "P(九项全部达成) {p} [{lo}, {hi}]"},
    "headline_cost": {"en": "total cost {y0}-{y1}: P50 {p50} 万元, P95 {p95} 万元",
                      "zh": "{y0}-{y1}年总支出:P50 {p50}万元,P95 {p95}万元"},
    "headline_ci": {"en": "in P(...): the estimate over the replications and its 95% "
                          "Wilson interval", "zh": "P(...):各次重复的估计值及其95% Wilson区间"},
    "headline_more": {"en": "more: {summary} (the page), the CSVs beside it, docs/outputs.md",
                      "zh": "详见:{summary}(结果摘要)、同目录下的CSV文件、docs/outputs.md"},
}

# A clause parameter's label (clauses/*.toml give it in English, without its remark in
# parentheses) in Chinese, for `parksim --lang zh policy`. A test holds every label covered.
PARAM_LABELS: dict[str, str] = {
    "Award per talent": "每人奖励", "Grant in year 1": "第一年资助",
    "Follow-on fund investment ceiling, years 2 and 3": "第二、三年后续基金投资上限",
    "Subsidy rate": "补助比例", "Cap per contract": "每份合同上限",
    "Cap per unit per year": "每单位每年上限", "Support rate": "支持比例",
    "Cap per base": "每个基地上限", "One-off award": "一次性奖励", "Reward rate": "奖励比例",
    "Cap per enterprise per year": "每家企业每年上限", "Award": "奖励",
    "Minimum number of grants": "最少授权数", "Minimum invention share": "发明专利最低占比",
    "Minimum utility-model share": "实用新型专利最低占比", "National standard": "国家标准",
    "Industry standard": "行业标准", "Local standard": "地方标准", "National level": "国家级",
    "Autonomous-region level": "自治区级", "Academician workstation": "院士工作站",
    "Postdoc research workstation": "博士后科研工作站",
    "Postdoc innovation practice base": "博士后创新实践基地", "Minimum investment": "最低投资额",
    "Cap per platform": "每个平台上限", "Ceiling": "上限", "Year 1": "第一年",
    "Year 2": "第二年", "Year 3": "第三年",
}


def param_label(text: str, lang: str = "en") -> str:
    """A clause parameter's label in `lang` (PARAM_LABELS); English when none is known."""
    return PARAM_LABELS.get(text, text) if lang == "zh" else text


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


# -- table labels: workbook headers and values, the text columns of CSVs --------------------------
# Column names and code values (arm, measure, kind, ...) are the same in every language in the
# CSVs, so a script reads any run; the workbook (`--xlsx`) shows them in words. docs/outputs.md
# describes every column.
HEADERS: dict[str, dict[str, str]] = {
    "arm": {"en": "arm", "zh": "组别"},
    "measure": {"en": "measure", "zh": "度量"},
    "target": {"en": "target", "zh": "目标"},
    "count": {"en": "targets met", "zh": "达成目标数"},
    "probability": {"en": "probability", "zh": "概率"},
    "ci_low": {"en": "95% CI low", "zh": "95%区间下限"},
    "ci_high": {"en": "95% CI high", "zh": "95%区间上限"},
    "n": {"en": "runs meeting it", "zh": "达成次数"},
    "replications": {"en": "replications", "zh": "重复次数"},
    "replication": {"en": "replication", "zh": "重复序号"},
    "threshold": {"en": "threshold", "zh": "目标值"},
    "op": {"en": "comparison", "zh": "比较"},
    "clause": {"en": "clause", "zh": "条款"},
    "clause_label": {"en": "clause name", "zh": "条款名称"},
    "kind": {"en": "kind", "zh": "类型"},
    "year": {"en": "year", "zh": "年份"},
    "statistic": {"en": "statistic", "zh": "统计量"},
    "value": {"en": "value", "zh": "数值"},
    "unit": {"en": "unit", "zh": "单位"},
    "policy_mean": {"en": "mean with the policy", "zh": "政策组均值"},
    "counterfactual_mean": {"en": "mean without the policy", "zh": "无政策组均值"},
    "estimate": {"en": "estimate", "zh": "估计值"},
    "method": {"en": "method", "zh": "方法"},
    "status": {"en": "status", "zh": "状态"},
    "mean_paid": {"en": "mean paid", "zh": "平均支出"},
    "mean_additional": {"en": "mean additional outcome", "zh": "平均增量"},
    "unit_id": {"en": "unit id", "zh": "单位"},
    "credit_code": {"en": "credit code", "zh": "统一社会信用代码"},
    "amount": {"en": "amount", "zh": "金额"},
    "capped_by": {"en": "capped by", "zh": "受限于"},
    "reason": {"en": "reason", "zh": "原因"},
    "event_year": {"en": "event year", "zh": "事项年份"},
    "event_row": {"en": "events file row", "zh": "事项文件行号"},
    "scenario": {"en": "scenario", "zh": "情景"},
    "item": {"en": "item", "zh": "项目"},
    "reference": {"en": "compared with", "zh": "参照情景"},
    "rows": {"en": "rows", "zh": "行数"},
    "total": {"en": "total", "zh": "合计"},
    "key": {"en": "item", "zh": "项目"},
    "payer": {"en": "payer", "zh": "支付方"},
}
# Columns whose unit is the same on every row (the workbook's header shows it); a table with a
# `unit` column gives it row by row instead.
HEADER_UNITS: dict[str, str] = {"amount": "万元", "mean_paid": "万元", "total": "万元"}

VALUES: dict[str, dict[str, dict[str, str]]] = {
    "arm": {"policy": {"en": "policy", "zh": "实施政策"},
            "counterfactual": {"en": "no policy", "zh": "无政策"}},
    "kind": {"grant": {"en": "grant", "zh": "财政资助"},
             "fund_investment": {"en": "fund investment", "zh": "基金投资"},
             "all": {"en": "all", "zh": "全部"}},
    "statistic": {"mean": {"en": "mean", "zh": "均值"}, "max": {"en": "max", "zh": "最大值"},
                  "probability": {"en": "probability", "zh": "概率"},
                  "estimate": {"en": "estimate", "zh": "估计值"},
                  "ci_low": {"en": "95% CI low", "zh": "95%区间下限"},
                  "ci_high": {"en": "95% CI high", "zh": "95%区间上限"}},
    "measure": {
        "p_met": {"en": "P(target met)", "zh": "目标达成概率"},
        "p_count_met": {"en": "P(this many targets met)", "zh": "达成该数目目标的概率"},
        "paid": {"en": "paid", "zh": "已支付"},
        "claims": {"en": "claimed", "zh": "申领"},
        "carried": {"en": "carried to next year", "zh": "结转下年"},
        "dropped": {"en": "dropped", "zh": "不予支付"},
        "committed": {"en": "committed after the horizon", "zh": "评估期后到期的承诺"},
        "p_exceeds": {"en": "P(outlay above the budget line)", "zh": "支出超出预算线的概率"},
        "cap_bound": {"en": "ceiling under the caps", "zh": "上限所允许的最高额"},
        "cap_bound_claimants": {"en": "claimants behind the ceiling", "zh": "上限估算的申请者数"},
        "difference": {"en": "policy minus no policy", "zh": "政策与无政策之差"},
        "cost_per_additional": {"en": "cost per additional unit", "zh": "单位增量成本"},
        "cost": {"en": "cost paid", "zh": "已支付支出"},
        "unpaid": {"en": "claims unpaid", "zh": "未支付申领"},
        "additionality": {"en": "additionality", "zh": "政策增量"},
        "additionality_rel": {"en": "additionality, share of no-policy mean",
                              "zh": "政策增量占无政策均值的比例"},
        "p_met_diff": {"en": "Δ P(target met)", "zh": "Δ目标达成概率"},
        "indicator_diff": {"en": "Δ indicator", "zh": "Δ指标"},
        "cost_diff": {"en": "Δ cost paid", "zh": "Δ已支付支出"},
        "additionality_diff": {"en": "Δ additionality", "zh": "Δ政策增量"},
        "p_exceeds_diff": {"en": "Δ P(outlay above the budget line)",
                           "zh": "Δ支出超出预算线的概率"},
    },
    "payer": {"prefecture": {"en": "prefecture budget", "zh": "州本级财政"},
              "region_fund": {"en": "region's innovation fund", "zh": "自治区创新基金"},
              "all": {"en": "all", "zh": "全部"}},
    "capped_by": {"per_item": {"en": "cap per item", "zh": "单项上限"},
                  "per_unit_year": {"en": "cap per unit and year", "zh": "单位年度上限"}},
    "reason": {k: v for k, v in REASONS.items()},
}

# Text cells (units, methods, statuses) of the run's tables, written in English by the model and
# shown in Chinese with --lang zh: exact texts, then patterns with a number in them.
TEXTS: dict[str, str] = {
    "万元": "万元", "probability": "概率", "units": "家单位", "share": "比例",
    "HTEs in the zone (stock at year end)": "区内高新技术企业(年末存量,家)",
    "alliances": "个联盟", "platforms (stock)": "个平台(存量)",
    "workstations (stock)": "个工作站(存量)",
    "patents granted (cumulative)": "件授权专利(累计)",
    "offshore incubators": "个离岸孵化器",
    "international S&T cooperation bases": "个国际科技合作基地",
    "万元 per additional HTE": "万元/新增高新技术企业",
    "万元 per additional platform": "万元/新增创新平台",
    "万元 per additional granted patent": "万元/新增授权专利",
    "share of the counterfactual mean": "占无政策均值的比例",
    "paired t": "配对t检验", "ok": "有效",
    "not defined: additional outcome's CI includes 0": "无定义:增量的置信区间包含0",
    "not defined: policy lowers outcome": "无定义:政策使该产出下降",
}
TEXT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"ratio of means, percentile bootstrap \((\d+) resamples\)",
     "均值之比,百分位自助法({0}次重抽样)"),
)
TEXT_COLUMNS = ("unit", "method", "status")  # the CSV columns that are words, not codes


def text_label(text: object, lang: str = "en") -> object:
    """A text cell of a table in `lang` (TEXTS, TEXT_PATTERNS); other values unchanged."""
    import re

    if lang == "en" or not isinstance(text, str):
        return text
    if text in TEXTS:
        return TEXTS[text]
    for pat, zh in TEXT_PATTERNS:
        m = re.fullmatch(pat, text)
        if m:
            return zh.format(*m.groups())
    return text


def localise(frame, lang: str = "en"):
    """A copy of a table whose text columns (TEXT_COLUMNS) are in `lang`; codes unchanged."""
    if lang == "en":
        return frame
    out = frame.copy()
    for col in TEXT_COLUMNS:
        if col in out.columns:
            out[col] = out[col].map(lambda v: text_label(v, lang))
    return out


def header_label(column: str, lang: str = "en", unit: str | None = None) -> str:
    """A column's header in words, with its unit when one holds for every row."""
    text = label(HEADERS.get(column), lang) or column
    unit = unit or HEADER_UNITS.get(column)
    return f"{text} ({unit})" if unit else text


def value_label(column: str, value: object, lang: str = "en") -> object:
    """A code value (arm, kind, measure, ...) in words; anything else unchanged."""
    if isinstance(value, str) and value in VALUES.get(column, {}):
        return label(VALUES[column][value], lang)
    return text_label(value, lang) if column in TEXT_COLUMNS else value
