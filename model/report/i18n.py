"""The report's words in English and Chinese; `t(key, lang, **fmt)` picks one.

Kept beside the report so figures and summary pages share one vocabulary; keys missing in
Chinese fall back to English rather than fail.
"""

from __future__ import annotations

from model.i18n import lookup

LANGS = ("en", "zh")

STRINGS: dict[str, dict[str, str]] = {
    # figures
    "policy": {"en": "Policy", "zh": "实施政策"},
    "counterfactual": {"en": "No policy (counterfactual)", "zh": "无政策(反事实)"},
    "threshold": {"en": "2025 threshold", "zh": "2025年目标值"},
    "median": {"en": "median", "zh": "中位数"},
    "band50": {"en": "P25–P75", "zh": "P25–P75"},
    "band90": {"en": "P5–P95", "zh": "P5–P95"},
    "year": {"en": "Year", "zh": "年份"},
    "wan_yuan": {"en": "wan yuan (10,000 yuan)", "zh": "万元"},
    "fan_title": {"en": "The nine indicators, {lo}–{hi}: policy vs no policy",
                  "zh": "九项指标({lo}–{hi}年):实施政策与无政策对比"},
    "fiscal_title": {"en": "Outlay by year and clause (mean over {R} replications)",
                     "zh": "各年各条款支出({R}次重复的均值)"},
    "fiscal_p95": {"en": "total P5–P95", "zh": "总额 P5–P95"},
    "targets_title": {"en": "P(target met in {h}) with 95% Wilson interval",
                      "zh": "{h}年目标达成概率(95% Wilson区间)"},
    "probability": {"en": "probability", "zh": "概率"},
    "all_nine": {"en": "All nine", "zh": "九项全部"},
    # summary
    "sum_title": {"en": "parksim run: {name}", "zh": "parksim 运行结果:{name}"},
    "sum_meta": {"en": "{R} replications, root seed {seed}, engine `{engine}`, scenario digest "
                       "`{digest}`, horizon {h}. Every run is paired with a no-policy "
                       "counterfactual on the same random numbers.",
                 "zh": "{R}次重复,根种子{seed},引擎`{engine}`,情景摘要`{digest}`,评估年份{h}。"
                       "每次运行都与使用相同随机数的无政策反事实运行配对。"},
    "sum_shared": {"en": "This scenario pays no award, so each run is its own counterfactual: "
                         "every difference below is exactly zero.",
                   "zh": "该情景不发放任何奖补,因此每次运行即为其自身的反事实:"
                         "下文所有差值均为零。"},
    "h_targets": {"en": "The nine 2025 targets", "zh": "九项2025年目标"},
    "targets_lead": {
        "en": "With the policy, all nine targets are met in {p_all} of runs (95% CI {ci_all}); "
              "without it, in {c_all}. The median run meets {med} of nine with the policy and "
              "{cmed} without. Most likely met: {best}. Least likely: {worst}.",
        "zh": "实施政策时,九项目标全部达成的概率为{p_all}(95%置信区间{ci_all});无政策时为"
              "{c_all}。中位情形下,实施政策达成{med}项,无政策达成{cmed}项。最可能达成:{best}。"
              "最难达成:{worst}。"},
    "col_target": {"en": "Target", "zh": "目标"},
    "col_threshold": {"en": "2025 threshold", "zh": "2025年目标值"},
    "col_p_policy": {"en": "P(met), policy [95% CI]", "zh": "达成概率,政策 [95%区间]"},
    "col_p_cf": {"en": "P(met), no policy [95% CI]", "zh": "达成概率,无政策 [95%区间]"},
    "col_med_policy": {"en": "median {h}, policy", "zh": "{h}年中位数,政策"},
    "col_med_cf": {"en": "median {h}, no policy", "zh": "{h}年中位数,无政策"},
    "h_fiscal": {"en": "What it costs", "zh": "财政支出"},
    "fiscal_lead": {
        "en": "Total outlay {lo}–{hi}: mean {mean} 万元 (P50 {p50}, P90 {p90}, P95 {p95}, "
              "largest of {R} runs {max}), of which fund investment {fund} 万元 on average. "
              "The costliest year on average is {peak} ({peak_v} 万元). Commitments falling due "
              "after {hi}: mean {comm} 万元 (P95 {comm95}).",
        "zh": "{lo}–{hi}年支出总额:均值{mean}万元(P50 {p50},P90 {p90},P95 {p95},{R}次运行中"
              "最大{max}),其中基金投资平均{fund}万元。平均支出最高的年份为{peak}年({peak_v}万元)。"
              "{hi}年后到期的承诺支出:均值{comm}万元(P95 {comm95})。"},
    "col_year": {"en": "Year", "zh": "年份"},
    "col_mean": {"en": "mean", "zh": "均值"},
    "col_grant": {"en": "grants, mean", "zh": "资助,均值"},
    "col_fund": {"en": "fund investment, mean", "zh": "基金投资,均值"},
    "col_clause": {"en": "Clause", "zh": "条款"},
    "col_share": {"en": "share of total", "zh": "占比"},
    "fiscal_units": {"en": "All amounts in 万元 (10,000 yuan), over replications.",
                     "zh": "金额单位均为万元,统计量跨重复运行计算。"},
    "top_clauses": {"en": "Clauses by mean total outlay:", "zh": "各条款平均支出总额:"},
    "budget_line": {
        "en": "Budget line {x} 万元 a year: P(some year's total outlay exceeds it) = {p} "
              "(95% CI {ci}); for grants alone {pg}.",
        "zh": "年度预算线{x}万元:任一年支出总额超出的概率为{p}(95%区间{ci});仅计资助为{pg}。"},
    "worst": {
        "en": "Worst case: the costliest run paid {max} 万元 in total. If every valid claim "
              "under a capped clause ({clauses}) were paid at its cap, those clauses would pay "
              "up to {cap} 万元 in {year} (vs {mean} 万元 paid on average): the ceiling the caps "
              "allow for the claimants observed (docs/outputs.md, 'cap_bound').",
        "zh": "最坏情形:支出最高的一次运行共支付{max}万元。若设有上限的条款({clauses})的每项有效"
              "申请都按上限支付,这些条款在{year}年最多支付{cap}万元(平均实际支付{mean}万元),"
              "即在观察到的申请者数量下上限所允许的最高额(见docs/outputs.md中“cap_bound”)。"},
    "h_add": {"en": "What the policy adds", "zh": "政策的增量效果"},
    "add_lead": {
        "en": "Policy minus no policy in {h}, paired over the same random numbers, mean with "
              "95% CI. Cost per additional unit divides the mean total outlay by the mean "
              "additional outcome (the whole outlay is charged to each outcome in turn).",
        "zh": "{h}年实施政策与无政策之差(基于相同随机数配对),均值及95%置信区间。单位增量成本 = "
              "平均支出总额 / 平均增量(每项产出分别承担全部支出)。"},
    "col_diff": {"en": "additional (policy − none)", "zh": "增量(政策 − 无政策)"},
    "col_ci": {"en": "95% CI", "zh": "95%区间"},
    "col_cost": {"en": "Cost per additional", "zh": "单位增量成本"},
    "whole_outlay": {"en": "{what}, whole outlay", "zh": "{what},全部支出"},
    "col_estimate": {"en": "万元 each", "zh": "万元/单位"},
    "not_defined": {"en": "not defined (additional outcome's CI includes 0)",
                    "zh": "无定义(增量的置信区间包含0)"},
    "not_defined_neg": {"en": "not defined (the policy lowers this outcome)",
                        "zh": "无定义(政策使该产出下降)"},
    "hte": {"en": "HTE (T1)", "zh": "高新技术企业(T1)"},
    "platform": {"en": "platform (T5)", "zh": "创新平台(T5)"},
    "patent": {"en": "granted patent (T7)", "zh": "授权专利(T7)"},
    "hte_own": {"en": "HTE (T1), {clause}'s own outlay only",
                "zh": "高新技术企业(T1),仅计{clause}自身支出"},
    # what each clause group buys (attribution.csv)
    "h_attr": {"en": "What each clause group buys", "zh": "各类条款的贡献"},
    "attr_lead": {
        "en": "Where the policy's effect comes from, on {n} replications ({of}): the {G} clause "
              "groups that pay in this scenario were switched on and off in all {M} "
              "combinations, each on the same random numbers as the runs above. A group's "
              "Shapley value is what it adds on average over every order in which the groups "
              "could be brought in, so the groups' values add up exactly to the policy's total "
              "effect (the last row); an effect that needs two groups together (a firm "
              "certified for P6c that later claims P7) is shared equally between them. "
              "Leave-one-out, the policy with the group minus the policy without it, stands "
              "beside it and need not add up.",
        "zh": "政策效果来自哪些条款(基于{n}次重复,{of}):将本情景中有支出的{G}类条款在全部{M}种"
              "开关组合下分别运行,且与上文各次运行使用相同的随机数。某类条款的Shapley值是在各类条款"
              "所有可能的引入顺序下它带来的平均增量,因此各类条款的值之和恰好等于政策的总效果(最后"
              "一行);需要两类条款共同作用才产生的效果(如企业因第6条认定高企后又申领第7条奖励)由"
              "两者均分。旁列的“逐一剔除”为含该类条款与不含该类条款的政策之差,其合计不必等于总效果。"},
    "attr_off": {"en": "What each clause group buys was not computed for this run "
                       "(`--attribution-replications 0`).",
                 "zh": "本次运行未计算各类条款的贡献(`--attribution-replications 0`)。"},
    "attr_all": {"en": "the same replications as above", "zh": "与上文相同的重复"},
    "attr_first": {"en": "the first {n} of the {R} above", "zh": "上文{R}次重复中的前{n}次"},
    "total_row": {"en": "Whole policy (policy − none)", "zh": "全部政策(政策 − 无政策)"},
    "col_group": {"en": "Clause group", "zh": "条款类别"},
    "col_own": {"en": "own outlay", "zh": "自身支出"},
    "col_cost_shapley": {"en": "outlay (Shapley)", "zh": "支出(Shapley)"},
    "col_hte_shapley": {"en": "additional HTEs (Shapley) [95% CI]",
                        "zh": "新增高企(Shapley)[95%区间]"},
    "col_hte_loo": {"en": "HTEs, leave-one-out", "zh": "高企,逐一剔除"},
    "col_per_hte_own": {"en": "万元 of own outlay per additional HTE",
                        "zh": "每新增一家高企的自身支出(万元)"},
    "col_t5_shapley": {"en": "platforms T5 (Shapley)", "zh": "平台T5(Shapley)"},
    "col_t7_shapley": {"en": "patents T7 (Shapley)", "zh": "专利T7(Shapley)"},
    "attr_notes": {
        "en": "Own outlay: what the group's clauses paid, mean 万元 over replications with the "
              "policy on. Outlay (Shapley): the group's share of the total outlay, which differs "
              "from its own outlay when the group changes what other clauses pay. 万元 of own "
              "outlay per additional HTE = own outlay / the group's Shapley value on T1, given "
              "only when that value's 95% interval lies above 0. Every target and the outlay, "
              "with intervals: attribution.csv.",
        "zh": "自身支出:实施政策时该类条款支付的金额,跨重复的均值(万元)。支出(Shapley):该类条款"
              "在总支出中所占的份额;若该类条款改变了其他条款的支付额,则与其自身支出不同。每新增一家"
              "高企的自身支出 = 自身支出 / 该类条款在T1上的Shapley值,仅当该值的95%区间全部大于0时"
              "给出。九项目标和支出的完整结果(含区间)见attribution.csv。"},
    "attr_dummies": {
        "en": "Not switched, since no clause of theirs pays in this scenario (they change no run "
              "and their values are 0): {groups}.",
        "zh": "以下类别未参与开关组合:本情景中其条款均无支出(不改变任何运行,其值为0):{groups}。"},
    "attr_check_bad": {
        "en": "WARNING: the attribution's runs with every group on (or off) differ from this "
              "run's policy (or no-policy) runs: its totals do not match the tables above.",
        "zh": "警告:归因计算中全部条款开启(或关闭)的运行与本次的政策(或无政策)运行不一致,"
              "其合计与上文各表不符。"},
    "h_figs": {"en": "Figures", "zh": "图表"},
    "h_files": {"en": "Files", "zh": "文件"},
    "files": {"en": "Tables (tidy CSV, read with pandas): targets.csv, fiscal.csv, indicators.csv, "
                    "additionality.csv, ledger_sample.csv, attribution.csv (unless switched "
                    "off); run.json records seed, scenario, commit and versions. "
                    "docs/outputs.md describes every column.",
              "zh": "数据表(长格式CSV,可直接用pandas读取):targets.csv、fiscal.csv、indicators.csv、"
                    "additionality.csv、ledger_sample.csv、attribution.csv(未关闭时);run.json"
                    "记录种子、情景、代码版本和软件版本。各列含义见docs/outputs.md。"},
    "check_ok": {"en": "Check: the row-wise award ledger of {n} replications (ParkModel) adds up "
                       "to the engine's money to {d:.1e} 万元.",
                 "zh": "核对:{n}次重复的逐行奖补台账(ParkModel)与引擎的金额"
                       "相差不超过{d:.1e}万元。"},
    "check_bad": {"en": "WARNING: the row-wise ledger and the engine disagree by {d:.3g} 万元.",
                  "zh": "警告:逐行台账与引擎金额相差{d:.3g}万元。"},
    "no_cjk": {"en": "", "zh": "注:本机未安装中文字体,图中文字以英文显示。"},
}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The report string `key` in `lang`, formatted with `fmt`."""
    return lookup(STRINGS, key, lang, **fmt)
