"""The sensitivity study's user-facing text, English and Chinese, in one catalogue."""

from __future__ import annotations

from model.i18n import lookup

MESSAGES: dict[str, dict[str, str]] = {
    "title": {"en": "Sensitivity study: {scenario}", "zh": "敏感性分析:{scenario}"},
    "meta": {"en": "Method **{method}**, N = {N} ({rows} design points), R = {R} replications "
                   "per point on common seeds (root seed {seed}), {runs} model runs; {k} {what}. "
                   "Wall time {wall} on {backend} ({new} runs computed now, {reused} reused "
                   "from earlier chunks).",
             "zh": "方法**{method}**,N = {N}(设计点{rows}个),每点R = {R}次重复,使用共同随机数"
                   "(根种子{seed}),模型运行{runs}次;{k}个{what}。耗时{wall}({backend};"
                   "本次计算{new}次,沿用已有分块{reused}次)。"},
    "worker_time": {"en": "The chunks took {t} of worker time in all ({rate} runs per "
                          "worker-second).",
                    "zh": "各分块共用工作进程时间{t}(每进程每秒{rate}次运行)。"},
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
    "noise_lead": {"en": "Noise share = the variance of a design point's mean that comes from "
                         "its R replications (the part not common to all points on a seed), "
                         "over the variance of the means across the design. Above {warn:.0%} "
                         "indices are read with care; above {dom:.0%} noise dominates.",
                   "zh": "噪声占比 = 设计点均值中来自R次重复的方差(扣除各点共同的种子效应)除以"
                         "设计点均值间的方差。高于{warn:.0%}需谨慎解读;高于{dom:.0%}则噪声占主导。"},
    "noise_line": {"en": "- {output}: noise share {share} ({status}).",
                   "zh": "- {output}:噪声占比{share}({status})。"},
    "noise_warn": {"en": "**Warning**: noise dominates {list}: increase --replications (noise "
                         "variance falls as 1/R) before reading their indices.",
                   "zh": "**警告**:{list}的噪声占主导,请先增加--replications(噪声方差按1/R下降)"
                         "再解读其指数。"},
    "flagged": {"en": "{n} indices are flagged in indices.csv (column `warning`): within "
                      "replication noise, or an interval wider than {wide}.",
                "zh": "indices.csv中有{n}个指数被标注(warning列):处于重复噪声以内,或区间宽度"
                      "超过{wide}。"},
    "convergence": {"en": "Convergence", "zh": "收敛性"},
    "conv_lead": {"en": "Top three by {idx} at N = {n1} and N = {n2} (convergence.csv has every "
                        "index at N/8, N/4, N/2 and N with its interval width).",
                  "zh": "按{idx}排列的前三位因子,N = {n1}与N = {n2}比较(convergence.csv列出N/8、"
                        "N/4、N/2、N时的全部指数及区间宽度)。"},
    "conv_line": {"en": "- {output}: {top} — {verdict}.", "zh": "- {output}:{top} — {verdict}。"},
    "stable": {"en": "stable", "zh": "稳定"},
    "set_stable": {"en": "same three, order changed: increase N", "zh": "前三相同但顺序变化:"
                   "请增大N"},
    "unstable": {"en": "not stable: increase N", "zh": "不稳定:请增大N"},
    "discovery": {"en": "Where each target is likely met (PRIM)", "zh": "各目标较可能达成的"
                  "区域(PRIM)"},
    "disc_lead": {"en": "A design point succeeds when P(met) ≥ 0.8. The box is the widest "
                        "PRIM box in which at least 80% of the points succeed.",
                  "zh": "设计点的达成概率≥0.8即为成功。所示区域为PRIM找到的、其中至少80%的点成功的"
                        "最大区域。"},
    "disc_box": {"en": "{target} is likely met when {cond}{more} (in this box {density} of "
                       "the points meet it with P ≥ 0.8; the box holds {coverage} of all such "
                       "points and {mass} of the design).",
                 "zh": "当{cond}{more}时,{target}较可能达成(区域内{density}的点达成概率≥0.8;"
                       "该区域包含全部此类点的{coverage},占设计的{mass})。"},
    "disc_exceeds": {"en": "{f} exceeds {a}", "zh": "{f}高于{a}"},
    "disc_below": {"en": "{f} is below {b}", "zh": "{f}低于{b}"},
    "disc_between": {"en": "{f} is between {a} and {b}", "zh": "{f}介于{a}与{b}之间"},
    "disc_more": {"en": " (and {n} looser limits, see discovery.csv)",
                  "zh": "(另有{n}项较宽限制,见discovery.csv)"},
    "and": {"en": " and ", "zh": "且"},
    "disc_always": {"en": "{target} is met with P ≥ 0.8 at every design point.",
                    "zh": "{target}在所有设计点的达成概率均≥0.8。"},
    "disc_mostly": {"en": "{target} is met with P ≥ 0.8 at {share} of the design points, "
                          "anywhere in the factor space: no region needs to be singled out.",
                    "zh": "{target}在{share}的设计点达成概率≥0.8,遍布整个因子空间,无需划定区域。"},
    "disc_rarely": {"en": "{target} is rarely likely: P ≥ 0.8 at {k} of {n} design points, too "
                          "few for a box.",
                    "zh": "{target}很少较可能达成:{n}个设计点中仅{k}个达成概率≥0.8,"
                          "不足以划定区域。"},
    "disc_nobox": {"en": "{target}: P ≥ 0.8 at {k} of {n} design points, but no box of the "
                         "factor space holds them densely enough.",
                   "zh": "{target}:{n}个设计点中{k}个达成概率≥0.8,但找不到足够集中的区域。"},
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
                "zh": "沿用{dir}中已存分块的{runs}次运行。"},
    "failed_chunks": {"en": "{n} chunk failures were recorded and retried (failures.csv).",
                      "zh": "记录并重试了{n}次分块失败(failures.csv)。"},
    "status_ok": {"en": "ok", "zh": "正常"},
    "status_noisy": {"en": "noisy", "zh": "噪声较大"},
    "status_noise dominates": {"en": "noise dominates", "zh": "噪声占主导"},
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
