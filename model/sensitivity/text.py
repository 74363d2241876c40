"""The sensitivity study's user-facing text, English and Chinese, in one catalogue."""

from __future__ import annotations

from model.i18n import lookup

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"en": "Sensitivity study: {scenario}", "zh": "敏感性分析:{scenario}"},
    "meta": {"en": "Method **{method}**, N = {N} ({rows} design points), R = {R} replications "
                   "per point; each base point runs on its own seeds, shared by the rows built "
                   "from it (study seed {seed}); {runs} model runs; {k} {what}. The time taken, "
                   "the processes used and the runs reused from earlier chunks are in "
                   "run.local.json (not tracked: they change from run to run, the numbers "
                   "do not).",
             "zh": "方法**{method}**,N = {N}(设计点{rows}个),每点R = {R}次重复;每个基点使用"
                   "自己的种子,由其派生的各行共用(研究种子{seed});模型运行{runs}次;{k}个"
                   "{what}。耗时、所用进程及沿用已有分块的运行次数见run.local.json(不纳入版本管理:"
                   "每次运行不同,结果数值不变)。"},
    "plan_note": {"en": "N = {N} and R = {R} were chosen by a pilot study ({pilot} runs, its own "
                        "seeds) for a 95% half-width of at most {w:g} on every index of {outputs} "
                        "(plan.csv: each output's noise-to-signal ratio, predicted and achieved "
                        "half-widths).",
                  "zh": "N = {N}与R = {R}由预试验({pilot}次运行,独立种子)选定,使{outputs}"
                        "的每个指数95%区间半宽不超过{w:g}(plan.csv列出各输出的噪声信号比、"
                        "预测与实际半宽)。"},
    "plan_unreachable": {"en": "The target is not reached within N ≤ 2^20 and R ≤ 256 (or with "
                               "the N or R given): N = {N}, R = {R} come closest.",
                         "zh": "在N ≤ 2^20、R ≤ 256(或给定的N、R)内无法达到目标:N = {N}、"
                               "R = {R}最接近。"},
    "pilot": {"en": "Pilot: N = {N}, R = {R} ({runs} runs). Per output: noise-to-signal ratio "
                    "and the largest predicted 95% half-width of its indices:",
              "zh": "预试验:N = {N},R = {R}(运行{runs}次)。各输出的噪声信号比及其指数的"
                    "最大预测95%区间半宽:"},
    "plan_line": {"en": "  {output}: rho {rho}, half-width {hw} (target {target})",
                  "zh": "  {output}:噪声信号比{rho},半宽{hw}(目标{target})"},
    "plan_imprecise": {"en": "  {output}: the pilot measured Var m(X) only to ±{pct}% (it "
                             "stops growing at a tenth of the study's runs, or at N = 8192); "
                             "the half-width predicted for it may be off by as much or more.",
                       "zh": "  {output}:试点对Var m(X)的测定精度仅为±{pct}%(试点规模以研究"
                             "运行次数的十分之一或N = 8192为限);其预测半宽可能有同等幅度的偏差。"},
    "about_to_run": {"en": "Study: N = {N}, R = {R}, {runs} runs{eta}.",
                     "zh": "研究:N = {N},R = {R},运行{runs}次{eta}。"},
    "eta": {"en": ", about {t} with {w} worker process(es)", "zh": ",{w}个进程约需{t}"},
    "method_sobol": {"en": "Indices are those of the mean response E[Y | X]: estimated from "
                           "every replication with the replication noise removed (total "
                           "variance, Jansen's total effect and Saltelli's first order, with "
                           "products over different replications), with 95% t-intervals over "
                           "{K} independent scrambles of the Sobol' design. Values here are "
                           "clipped to [0, 1]; indices.csv keeps the raw estimates and bounds. "
                           "† marks an index flagged in indices.csv (column `warning`).",
                     "zh": "指数针对平均响应E[Y | X]:利用每次重复估计并扣除重复噪声(总方差、"
                           "Jansen总效应与Saltelli一阶效应,采用不同重复间的乘积),95%区间为"
                           "Sobol'设计{K}个独立扰乱上的t区间。此处数值截断至[0, 1];"
                           "indices.csv保留原始估计与区间。†表示indices.csv中被标注"
                           "(warning列)的指数。"},
    "analytic_note": {"en": "Test problem `{model}` (docs/sensitivity.md): factors x1, x2, x3 "
                            "~ U(-π, π), output y; the indices of its E[y | x] are Ishigami's.",
                      "zh": "测试问题`{model}`(见docs/sensitivity.md):因子x1、x2、x3 ~ "
                            "U(-π, π),输出y;其E[y | x]的指数即Ishigami函数的指数。"},
    "careful": {"en": "Read with care", "zh": "需谨慎解读"},
    "careful_lead": {"en": "These outputs are not among the top drivers: their indices are "
                           "estimated, but what they rank is uncertain.",
                     "zh": "以下输出不列入主要影响因素:其指数虽已估计,但排序不确定。"},
    "why_joint": {"en": "(All nine targets at once: a rare joint event whose replication noise "
                        "is large against its variation over the design, rho = {rho}.)",
                  "zh": "(九项目标同时达成:罕见的联合事件,其重复噪声相对于设计间差异很大,"
                        "噪声信号比 = {rho}。)"},
    "why_noise": {"en": "(Replication noise dominates a design point's mean, rho = {rho}: "
                        "more replications or base points narrow these intervals.)",
                  "zh": "(重复噪声主导设计点均值,噪声信号比 = {rho}:增加重复次数或基点可缩窄"
                        "区间。)"},
    "known": {"en": "Known answer", "zh": "已知答案"},
    "known_head": {"en": "| index | estimate | 95% interval | truth | truth inside |",
                   "zh": "| 指数 | 估计值 | 95%区间 | 真值 | 真值在区间内 |"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "what_factors": {"en": "factors", "zh": "因子"},
    "what_groups": {"en": "factor groups", "zh": "因子组"},
    "outputs_note": {"en": "Costs are 万元 paid from {start} to {horizon} (mean over the "
                           "replications of a design point); P(Tk) is the share of replications "
                           "meeting target Tk in {horizon}.",
                     "zh": "支出为{start}至{horizon}年已支付金额(万元,设计点各次重复的均值);"
                           "P(Tk)为{horizon}年达到目标Tk的重复次数占比。"},
    "drivers": {"en": "Top drivers", "zh": "主要影响因素"},
    "driver_line": {"en": "- **{output}** (mean {mean} over the design): {list}.",
                    "zh": "- **{output}**(设计均值{mean}):{list}。"},
    "driver_item": {"en": "{f} ({idx} {v}, 95% interval {lo} to {hi})",
                    "zh": "{f}({idx} {v},95%区间{lo}至{hi})"},
    "then": {"en": ", then ", "zh": ",其次"},
    "constant": {"en": "Constant over the design (no index): {list}.",
                 "zh": "在整个设计中不变(无指数):{list}。"},
    "noise": {"en": "Replication noise", "zh": "重复噪声"},
    "noise_lead": {"en": "rho = the variance of one run around its design point's mean "
                         "response, averaged over the design, over the variance of the mean "
                         "response (noise-to-signal ratio); noise share = the part of the "
                         "variance of a point's R-run mean that is noise. The indices remove "
                         "this noise, and their intervals include it. Above {warn:.0%} an "
                         "output is noisy; above {dom:.0%} noise dominates.",
                   "zh": "噪声信号比 = 单次运行围绕其设计点平均响应的方差(设计上取平均)除以平均"
                         "响应的方差;噪声占比 = 设计点R次运行均值方差中属于噪声的部分。指数已"
                         "扣除此噪声,其区间包含噪声的影响。高于{warn:.0%}为噪声较大;高于"
                         "{dom:.0%}则噪声占主导。"},
    "noise_line": {"en": "- {output}: rho {rho}, noise share {share} ({status}).",
                   "zh": "- {output}:噪声信号比{rho},噪声占比{share}({status})。"},
    "flagged": {"en": "{n} indices are flagged in indices.csv (column `warning`): replication "
                      "noise not measured (R = 1), noise dominating their output, an interval "
                      "wider than {wide}, or an interval wholly outside [0, 1].",
                "zh": "indices.csv中有{n}个指数被标注(warning列):未测量重复噪声(R = 1)、"
                      "所属输出噪声占主导、区间宽度超过{wide},或区间完全落在[0, 1]之外。"},
    "convergence": {"en": "Convergence", "zh": "收敛性"},
    "conv_lead": {"en": "Top three by {idx} in two independent halves of the design (disjoint "
                        "scrambles and seeds; {n1} and {n2} base points). convergence.csv has "
                        "every index at N/8, N/4, N/2 and N with its interval width.",
                  "zh": "设计的两个独立半部分(扰乱与种子互不相同;基点分别为{n1}与{n2}个)中按"
                        "{idx}排列的前三位。convergence.csv列出N/8、N/4、N/2、N时的全部指数及"
                        "区间宽度。"},
    "conv_line": {"en": "- {output}: {top} | {top2} — {verdict}.",
                  "zh": "- {output}:{top} | {top2} — {verdict}。"},
    "stable": {"en": "stable", "zh": "稳定"},
    "set_stable": {"en": "same three, order changed: increase N", "zh": "前三相同但顺序变化:"
                   "请增大N"},
    "unstable": {"en": "not stable: increase N", "zh": "不稳定:请增大N"},
    "discovery": {"en": "Where each target is likely met (PRIM)", "zh": "各目标较可能达成的"
                  "区域(PRIM)"},
    "disc_lead": {"en": "A box is where the target is likely met when the mean P(met) of the "
                        "design points inside it has a 95% lower bound of at least 0.8 (each "
                        "point's P(met) is the share of its replications meeting the target). "
                        "The box shown is the largest such box PRIM finds; discovery.csv lists "
                        "its limits.",
                  "zh": "若区域内设计点的平均达成概率的95%下限不低于0.8,则称该目标在此区域内较可能"
                        "达成(各点的达成概率为其重复中达成目标的比例)。所示区域为PRIM找到的最大"
                        "此类区域;discovery.csv列出其边界。"},
    "disc_box": {"en": "{target} is likely met when {cond}{more} (mean P(met) in this box "
                       "{mean}, 95% interval {lo} to {hi}; the box is {mass} of the design and "
                       "holds {coverage} of its expected successes).",
                 "zh": "当{cond}{more}时,{target}较可能达成(区域内平均达成概率{mean},95%区间"
                       "{lo}至{hi};该区域占设计的{mass},包含预期成功次数的{coverage})。"},
    "disc_exceeds": {"en": "{f} exceeds {a}", "zh": "{f}高于{a}"},
    "disc_below": {"en": "{f} is below {b}", "zh": "{f}低于{b}"},
    "disc_between": {"en": "{f} is between {a} and {b}", "zh": "{f}介于{a}与{b}之间"},
    "disc_more": {"en": " (and {n} looser limits, see discovery.csv)",
                  "zh": "(另有{n}项较宽限制,见discovery.csv)"},
    "and": {"en": " and ", "zh": "且"},
    "disc_everywhere": {"en": "{target} is likely met anywhere in the factor space (mean "
                              "P(met) {mean}, 95% interval {lo} to {hi}): no region needs to "
                              "be singled out.",
                        "zh": "{target}在整个因子空间内均较可能达成(平均达成概率{mean},95%区间"
                              "{lo}至{hi}),无需划定区域。"},
    "disc_nobox": {"en": "{target}: no box of the factor space has a mean P(met) whose 95% "
                         "lower bound reaches 0.8 (over the whole design: {mean}, {lo} to {hi}).",
                   "zh": "{target}:找不到平均达成概率95%下限达到0.8的区域(整个设计:{mean},"
                         "{lo}至{hi})。"},
    "disc_unavailable": {"en": "{target}: scenario discovery skipped (ema_workbench not "
                               "installed).",
                         "zh": "{target}:未进行情景发现(未安装ema_workbench)。"},
    "all_nine": {"en": "all nine targets", "zh": "九项目标全部"},
    "files": {"en": "Files", "zh": "文件"},
    "rerun": {"en": "Rerun or extend (a larger --n reuses every chunk already run):",
              "zh": "重新运行或扩展(更大的--n会沿用已运行的分块):"},
    "done": {"en": "Sensitivity study written to {out} ({runs} runs, {wall}).",
             "zh": "敏感性分析已写入{out}(运行{runs}次,耗时{wall})。"},
    "resumed": {"en": "Reusing {runs} runs from {chunks} stored chunks in {dir}.",
                "zh": "沿用{dir}中{chunks}个已存分块的{runs}次运行。"},
    "failed_chunks": {"en": "{n} chunk failures were recorded and retried (failures.csv).",
                      "zh": "记录并重试了{n}次分块失败(failures.csv)。"},
    "status_ok": {"en": "ok", "zh": "正常"},
    "status_noisy": {"en": "noisy", "zh": "噪声较大"},
    "status_noise dominates": {"en": "noise dominates", "zh": "噪声占主导"},
    "status_deterministic": {"en": "deterministic", "zh": "确定性"},
}

OUTPUT_LABELS = {
    "cost_total": {"en": "Total cost paid", "zh": "已支付总额"},
    "cost_grant": {"en": "Grants paid", "zh": "财政资助支付额"},
    "cost_fund_investment": {"en": "Fund investments paid", "zh": "基金投资支付额"},
    "cost_talent": {"en": "Cost: talent (P1-P2)", "zh": "支出:人才(第1-2条)"},
    "cost_breakthroughs": {"en": "Cost: breakthroughs (P3)", "zh": "支出:重大成果(第3条)"},
    "cost_tech_transfer": {"en": "Cost: technology transfer and bases (P4-P5)",
                           "zh": "支出:成果转化与产业化基地(第4-5条)"},
    "cost_firm_awards": {"en": "Cost: unicorn, gazelle, HTE awards (P6)",
                         "zh": "支出:独角兽、瞪羚、高企奖励(第6条)"},
    "cost_rd_and_ip": {"en": "Cost: R&D and IP (P7-P8)", "zh": "支出:研发与知识产权(第7-8条)"},
    "cost_platforms": {"en": "Cost: platforms (P9-P11)", "zh": "支出:创新平台(第9-11条)"},
    "cost_carriers": {"en": "Cost: service carriers (P12-P13)", "zh": "支出:服务载体(第12-13条)"},
    "cost_other": {"en": "Cost: clauses added by the scenario", "zh": "支出:情景新增条款"},
    "P_all": {"en": "P(all nine targets met)", "zh": "九项目标全部达成的概率"},
}


def t(key: str, lang: str = "en", **fmt) -> str:
    """The sensitivity study's message `key` in `lang`, formatted."""
    return lookup(MESSAGES, key, lang, **fmt)


def output_label(name: str, lang: str = "en") -> str:
    if name in OUTPUT_LABELS:
        return OUTPUT_LABELS[name].get(lang, OUTPUT_LABELS[name]["en"])
    if name.startswith("P_T"):
        return f"P({name[2:]} met)" if lang == "en" else f"{name[2:]}达成概率"
    return name


def fmt_num(v: float) -> str:
    """Three significant figures, no scientific notation for everyday sizes."""
    if v == 0 or not (abs(v) < 1e-3 or abs(v) >= 1e6):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return f"{v:.3g}"
