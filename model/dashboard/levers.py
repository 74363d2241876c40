"""The dashboard's levers, built in loops from the policy data and the parameter registry.

No lever is typed by hand: each clause contributes its amounts, rates and caps (from
`policy.clauses[cid].params`) and an on/off switch, each ambiguity switch its choices or
range, the registry the chosen uncertainties with their ranges. A setting is a plain dict
{lever key: value}; `apply` turns it into (policy, params, budget) for the engine, and
`scenario_toml` into a scenario file holding only the differences from the base scenario.

Keys: "<clause>.<param>", "<clause>.enabled", "switch.<name>", "param.<name>",
"policy.end_year", "budget.on", "budget.total", "budget.rule", "budget.unpaid".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from model.budget import RULES, UNPAID, Budget
from model.errors import InputError
from model.params import load_registry
from model.policy.spec import Policy

# The uncertainties shown: the behavioural responses the award levers act through.
KEY_UNCERTAINTIES = ("rd_price_elasticity", "award_salience", "hte_consider_prob",
                     "hte_pass_prob", "entry_rate")
BUDGET_MAX = 10000.0  # 万元 per year: the slider's top (assumption: ~3x the baseline's outlay)
END_YEAR_MAX = 2030


@dataclass(frozen=True)
class Lever:
    """One control: what it sets, its widget kind and bounds, and how it is labelled."""

    key: str
    kind: str  # "float" | "int" | "bool" | "choice"
    default: Any
    group: str  # clause id, "switches", "window", "budget" or "uncertainties"
    label: dict  # {"en": ..., "zh": ...}
    unit: str = ""
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple = ()


def _nice_step(span: float) -> float:
    """A round slider step giving about 100-200 positions over `span`."""
    raw = span / 150
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def _is_share(unit: str) -> bool:
    return unit.startswith("share")


# Param labels in the clause files are English; their Chinese, by parameter name.
PARAM_ZH = {"award": "奖励金额", "rate": "比例", "cap_per_item": "单项上限",
            "cap_per_unit_year": "每单位每年上限", "first_year_grant": "第一年资助",
            "followon_cap": "第二、三年基金投入上限", "year1": "第一年", "year2": "第二年",
            "year3": "第三年", "award_national": "国家级", "award_regional": "自治区级",
            "award_industry": "行业标准", "award_local": "地方标准",
            "award_academician": "院士工作站", "award_postdoc": "博士后科研工作站",
            "award_practice_base": "博士后创新实践基地"}
# The registry's meanings are English; the shown uncertainties' Chinese names.
UNCERTAINTY_ZH = {"rd_price_elasticity": "研发投入对税后价格的弹性",
                  "award_salience": "奖励对申报认定的激励强度",
                  "hte_consider_prob": "符合条件企业考虑申报高企的概率",
                  "hte_pass_prob": "高企认定通过概率",
                  "entry_rate": "新企业进入率"}


def clause_levers(policy: Policy) -> list[Lever]:
    """On/off and every amount, rate and cap of each paying clause, from the clause data.

    Thresholds (`min_*`) are conditions, not levers; a parameter set by a switch (P1's
    unpublished award) is moved through that switch."""
    out = []
    for cid, c in policy.clauses.items():
        if c.formula == "none":
            continue
        out.append(Lever(f"{cid}.enabled", "bool", bool(c.enabled), cid,
                         {"en": "in force", "zh": "实施"}))
        for name, p in c.params.items():
            if name.startswith("min") or p.switch or p.value is None:
                continue
            v = float(p.value)
            if _is_share(p.unit):
                hi = min(1.0, max(4 * v, 0.2))
            else:
                hi = max(4 * v, 10.0)
            out.append(Lever(f"{cid}.{name}", "float", v, cid,
                             {"en": p.label, "zh": PARAM_ZH.get(name, p.label)},
                             unit=p.unit.split(" (")[0], min=0.0, max=hi, step=_nice_step(hi)))
    return out


def switch_levers(policy: Policy) -> list[Lever]:
    """Each ambiguity switch: a choice, or a number within its range."""
    out = []
    for name, s in policy.switches.items():
        if s.choices is not None:
            out.append(Lever(f"switch.{name}", "choice", s.value, "switches", dict(s.label),
                             choices=tuple(s.choices)))
        else:
            lo, hi = (float(x) for x in s.range)
            out.append(Lever(f"switch.{name}", "float", float(s.value), "switches",
                             dict(s.label), unit=s.unit, min=lo, max=hi,
                             step=_nice_step(hi - lo)))
    return out


def uncertainty_levers(params: dict[str, float]) -> list[Lever]:
    """The key uncertainties, each over its registry range."""
    reg = load_registry()
    out = []
    for name in KEY_UNCERTAINTIES:
        s = reg[name]
        lo, hi = (float(x) for x in s.range)
        out.append(Lever(f"param.{name}", "float", float(params.get(name, s.value)),
                         "uncertainties",
                         {"en": s.meaning.rstrip("."), "zh": UNCERTAINTY_ZH.get(name, name)},
                         unit=s.unit, min=lo, max=hi, step=_nice_step(hi - lo)))
    return out


def window_budget_levers(policy: Policy, budget: Budget | None) -> list[Lever]:
    """The policy's last year and an annual budget line with its rationing rule."""
    rules = RULES if (budget is not None and budget.priority) else tuple(
        r for r in RULES if r != "priority")
    total = budget.total if budget is not None and budget.total is not None else 3000.0
    return [
        Lever("policy.end_year", "int", policy.end.year, "window",
              {"en": "Policy in force until the end of", "zh": "政策有效期截至年底"},
              min=policy.start.year, max=END_YEAR_MAX, step=1),
        Lever("budget.on", "bool", budget is not None, "budget",
              {"en": "Annual budget line", "zh": "年度预算额度"}),
        Lever("budget.total", "float", float(total), "budget",
              {"en": "Budget line", "zh": "预算额度"}, unit="万元 per year", min=0.0,
              max=BUDGET_MAX, step=100.0),
        Lever("budget.rule", "choice", budget.rule if budget else "pro_rata", "budget",
              {"en": "Rationing rule", "zh": "配给规则"}, choices=rules),
        Lever("budget.unpaid", "choice", budget.unpaid if budget else "carry", "budget",
              {"en": "Unpaid claims", "zh": "未支付申领"}, choices=UNPAID),
    ]


def all_levers(policy: Policy, params: dict[str, float], budget: Budget | None) -> list[Lever]:
    """Every lever for a base scenario, defaults read from it."""
    return (window_budget_levers(policy, budget) + clause_levers(policy)
            + switch_levers(policy) + uncertainty_levers(params))


def defaults(levers: list[Lever]) -> dict[str, Any]:
    return {lv.key: lv.default for lv in levers}


def changes(settings: dict[str, Any], levers: list[Lever]) -> dict[str, Any]:
    """The settings that differ from the levers' defaults (the base scenario)."""
    return {lv.key: settings[lv.key] for lv in levers
            if lv.key in settings and settings[lv.key] != lv.default}


def apply(settings: dict[str, Any], policy: Policy, params: dict[str, float],
          budget: Budget | None) -> tuple[Policy, dict[str, float], Budget | None]:
    """(policy, params, budget) with the settings applied to the base scenario's."""
    params = dict(params)
    switches = {}
    for key, v in settings.items():
        head, _, name = key.partition(".")
        if head == "switch":
            switches[name] = v
        elif head == "param":
            params[name] = float(v)
        elif head in policy.clauses:
            if name == "enabled":
                if bool(v) != policy.clauses[head].enabled:
                    policy = policy.with_clause(head, enabled=bool(v))
            elif float(v) != policy.clauses[head].params[name].value:
                policy = policy.with_param(head, name, float(v))
    if switches:
        policy = policy.with_switches(**switches)
    end = settings.get("policy.end_year", policy.end.year)
    if end != policy.end.year:
        policy = policy.with_window(dt.date(int(end), 12, 31))
    if settings.get("budget.on", budget is not None):
        base = budget or Budget()
        budget = dataclasses.replace(
            base, total=float(settings.get("budget.total", base.total or 0.0)),
            rule=settings.get("budget.rule", base.rule),
            unpaid=settings.get("budget.unpaid", base.unpaid))
    else:
        budget = None
    return policy, params, budget


# -- saving a scenario ------------------------------------------------------------------------
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)  # JSON escapes are valid TOML


def scenario_toml(settings: dict[str, Any], levers: list[Lever], *, name: str, purpose: str,
                  extends: str, population: frozenset[str] = frozenset()) -> str:
    """A scenario file: `extends` the base plus only the settings that differ from it."""
    diff = changes(settings, levers)
    tables: dict[str, dict[str, Any]] = {}

    def put(table: str, key: str, v: Any) -> None:
        tables.setdefault(table, {})[key] = v

    for key, v in diff.items():
        head, _, rest = key.partition(".")
        if key == "policy.end_year":
            put("policy", "end", dt.date(int(v), 12, 31))
        elif head == "switch":
            put("policy.switches", rest, v)
        elif head == "param":
            put("population" if rest in population else "parameters", rest, float(v))
        elif head == "budget":
            continue
        else:
            put(f"policy.clauses.{head}", rest, bool(v) if rest == "enabled" else float(v))
    budget_keys = [k for k in diff if k.startswith("budget.")]
    if budget_keys:
        if not settings.get("budget.on"):
            put("budget", "enabled", False)
        else:
            # a new line, or one whose numbers changed: write the whole line, it is short
            put("budget", "total", float(settings["budget.total"]))
            put("budget", "rule", settings["budget.rule"])
            put("budget", "unpaid", settings["budget.unpaid"])
    lines = [f"name = {_toml_value(name)}", f"purpose = {_toml_value(purpose)}",
             f"extends = {_toml_value(extends)}"]
    order = ["policy", "policy.switches"] + sorted(t for t in tables if t.startswith(
        "policy.clauses.")) + ["parameters", "population", "budget"]
    for table in order:
        if table in tables:
            lines += ["", f"[{table}]"] + [f"{k} = {_toml_value(v)}"
                                           for k, v in tables[table].items()]
    return "\n".join(lines) + "\n"


def save_scenario(settings: dict[str, Any], levers: list[Lever], *, base_path: Path,
                  out: Path, name: str, purpose: str = "", overwrite: bool = False) -> Path:
    """Write the settings as a scenario file at `out` (atomically) and check it loads.

    The file extends `base_path` by a path relative to its own folder, so it runs wherever
    the pair is. A file that would not load is never left behind; an existing file is
    replaced only with `overwrite`, and never when it is the base scenario itself or not a
    regular file (model.outputs)."""
    from model.outputs import prepare_file
    from model.scenario import load_scenario

    out = Path(out)
    if not out.name.endswith(".toml"):
        raise InputError(out, "file name", "a name ending in .toml", out.name)
    place = prepare_file(out, option="save", overwrite=overwrite, inputs=[base_path],
                         suffixes=(".toml",))
    out = place.path
    extends = os.path.relpath(Path(base_path).resolve(), out.parent.resolve())
    reg = load_registry()
    pop = frozenset(k for k, s in reg.items() if s.group == "population")
    diff = changes(settings, levers)
    purpose = purpose or ("Saved from the dashboard: " + (", ".join(
        f"{k} = {v}" for k, v in diff.items()) or "no change") + ".")
    text = scenario_toml(settings, levers, name=name, purpose=purpose, extends=extends,
                         population=pop)
    tmp = place.temp(".toml")
    try:
        tmp.write_text(text, encoding="utf-8")
        load_scenario(tmp)  # refuse to leave a file `parksim run` would reject
        place.commit(tmp)
    except BaseException:
        place.discard()
        raise
    finally:
        tmp.unlink(missing_ok=True)
    return out
