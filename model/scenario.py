"""Scenarios: a TOML file that says how a run differs from what it extends.

A scenario names itself, says its purpose in one line, and may `extends` another file
(relative to itself; chains allowed, cycles refused). Everything else is a difference:

    [run]                      start, horizon, replications, seed, t7_count_from
    [policy]                   enabled = false (no award at all), end = 2023-12-31
    [policy.switches]          the ambiguity switches (model/policy/switches.toml)
    [policy.clauses.P6c]       enabled, end, or any parameter of the clause (award = 40.0)
    [policy.extra_clauses.V1]  a clause the 2020 text does not fund (same schema as a clause
                               file, every number with a `source`)
    [parameters]               behavioural parameters by registry name, within their range
    [population]               initial-population parameters (registry group "population")
    [budget]                   an annual budget line and its rationing rule (model.budget)

Every file of the chain is checked before anything runs; a mistake raises
`model.errors.InputError` naming the file, the key path and what was expected. docs/scenarios.md
is the user's guide.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model import values
from model.budget import RULES, UNPAID, Budget, BudgetLine
from model.errors import InputError, suggest
from model.outputs import IDENTIFIER_TEXT, is_identifier
from model.params import default_params, load_registry
from model.policy.core import KIND_CODES
from model.policy.spec import BENEFICIARIES, CLAUSE_KINDS, Policy, load_policy
from model.textfiles import read_text

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
T7_CHOICES = ("policy_start", "with_2020_stock")
FIRST_YEAR, LAST_YEAR = 2020, 2035  # the 2020 population; rules data hold their last value on
EXTRA_FORMULAS = ("fixed", "rate", "schedule")
EXTRA_KINDS = tuple(k for k in CLAUSE_KINDS if k != "none")


@dataclass(frozen=True)
class Scenario:
    name: str
    purpose: str
    policy: Policy
    params: dict[str, float]
    path: Path | None = None
    start: int = 2020
    horizon: int = 2025
    replications: int = 1000
    seed: int = 20200616
    t7_count_from: str = "policy_start"
    budget: object | None = None  # model.budget.Budget
    raw: dict = field(default_factory=dict)  # the merged TOML, as run.json records it
    chain: tuple[str, ...] = ()  # the files read, the scenario's own first
    posterior: Path | None = None  # [run] posterior: draw parameters per replication from it

    def digest(self) -> str:
        """A hash of the merged scenario content: two runs of equal hashes ran the same input."""
        blob = json.dumps(self.raw, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# -- the schema ---------------------------------------------------------------------------------
TOP = ("name", "purpose", "purpose_zh", "extends", "notes", "run", "policy", "parameters",
       "population", "budget")
RUN = ("start", "horizon", "replications", "seed", "t7_count_from", "posterior")
POLICY = ("enabled", "end", "switches", "clauses", "extra_clauses")
BUDGET = ("enabled", "total", "groups", "rule", "priority", "unpaid", "kinds")
GROUP = ("clauses", "limit")
EXTRA = ("id", "item", "kind", "beneficiary", "formula", "serves_targets", "label", "trigger",
         "quote", "note", "source", "triggers", "schedule", "params")
EXTRA_PARAM = ("value", "unit", "label", "source")
TRIGGER = ("event", "param", "once_per_unit")
PAYMENT = ("offset", "kind", "param")
NOT_INHERITED = ("name", "purpose", "purpose_zh", "extends", "notes")


def _keys(file: Path, where: str, table: dict, valid: tuple[str, ...] | list[str]) -> None:
    for k in table:
        if k not in valid:
            at = f"{where}.{k}" if where else k
            raise InputError(file, at, "a known key" + suggest(k, valid)
                             + "; valid here: " + ", ".join(valid))


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _want(file: Path, where: str, v: Any, kind: str) -> Any:
    """Check a value's type; return it normalised (int, float, bool, str, date, dict, list)."""
    ok = {"int": isinstance(v, int) and not isinstance(v, bool),
          "number": _is_num(v),
          "bool": isinstance(v, bool),
          "str": isinstance(v, str),
          "table": isinstance(v, dict),
          "list": isinstance(v, list)}
    if kind == "date":
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v)
            except ValueError:
                pass
        raise InputError(file, where, "a date such as 2023-12-31", v)
    if not ok[kind]:
        words = {"int": "a whole number", "number": "a number", "bool": "true or false",
                 "str": "a text in quotes", "table": "a table (section)", "list": "a list [...]"}
        raise InputError(file, where, words[kind], v)
    return values.finite(str(file), where, v) if kind == "number" else v


def _money(file: Path, where: str, v: Any, unit: str = "万元") -> float:
    return values.amount(str(file), where, v, unit)


def check_name(file: Path | str, where: str, name: Any) -> str:
    """A scenario name or clause id: an identifier, never a path or a spreadsheet formula
    (it names a results folder and fills table cells)."""
    if not is_identifier(name):
        raise InputError(file, where, IDENTIFIER_TEXT, name)
    return name


def _check_file(file: Path, raw: dict) -> None:
    """Check one file of the chain: keys, types, ranges, ids ([policy] is checked as it is
    applied, by model.policy.overrides)."""
    _keys(file, "", raw, TOP)
    for k in ("name", "purpose", "purpose_zh", "extends", "notes"):
        if k in raw:
            _want(file, k, raw[k], "str")
    if "name" in raw:
        check_name(file, "name", raw["name"])
    for sec in ("run", "policy", "parameters", "population", "budget"):
        if sec in raw:
            _want(file, sec, raw[sec], "table")
    run = raw.get("run", {})
    _keys(file, "run", run, RUN)
    for k in ("start", "horizon", "replications", "seed"):
        if k in run:
            _want(file, f"run.{k}", run[k], "int")
    for k in ("start", "horizon"):
        if k in run and not FIRST_YEAR <= run[k] <= LAST_YEAR:
            raise InputError(file, f"run.{k}", f"a year from {FIRST_YEAR} to {LAST_YEAR}",
                             run[k])
    if "replications" in run and run["replications"] < 1:
        raise InputError(file, "run.replications", "at least 1", run["replications"])
    if "seed" in run and not 0 <= run["seed"] <= values.MAX_SEED:
        raise InputError(file, "run.seed", "a whole number from 0 to 2^63 - 1", run["seed"])
    if "posterior" in run:  # model.calibration.posterior checks the file when it is read
        _want(file, "run.posterior", run["posterior"], "str")
    if "t7_count_from" in run and run["t7_count_from"] not in T7_CHOICES:
        raise InputError(file, "run.t7_count_from", f"one of {', '.join(T7_CHOICES)}"
                         + suggest(str(run["t7_count_from"]), T7_CHOICES), run["t7_count_from"])
    _want(file, "policy", raw.get("policy", {}), "table")
    _check_params(file, raw)
    if raw.get("budget") == {}:
        raise InputError(file, "budget", "a total (万元 per year) or groups, or enabled = false "
                         "(an empty [budget] table would silently mean no budget)")
    _check_budget_types(file, raw.get("budget", {}))


def _param_value(file: Path, where: str, v: Any, unit: str) -> float:
    """A clause number, by its unit: a share from 0 to 1, an amount, a count (model.values)."""
    return values.clause_number(str(file), where, v, unit)


def _check_extra(file: Path, where: str, cid: str, d: Any, base: Policy) -> None:
    """A scenario-defined clause: the schema of a clause file, every number with a source."""
    d = _want(file, where, d, "table")
    if cid in base.clauses:
        raise InputError(file, where, f"a new clause id ({cid} exists: change it under "
                         f"[policy.clauses.{cid}])")
    _keys(file, where, d, EXTRA)
    for k in ("item", "kind", "beneficiary", "formula", "label", "trigger", "quote", "triggers",
              "params"):
        if k not in d:
            raise InputError(file, f"{where}.{k}", "a value (every clause has it)")
    if "id" in d and d["id"] != cid:
        raise InputError(file, f"{where}.id", f"the table's name {cid!r}", d["id"])
    _want(file, f"{where}.item", d["item"], "int")
    for k in ("quote", "beneficiary", "kind", "formula"):
        _want(file, f"{where}.{k}", d[k], "str")
    for k, valid in (("formula", EXTRA_FORMULAS), ("kind", EXTRA_KINDS),
                     ("beneficiary", BENEFICIARIES)):
        if d[k] not in valid:
            raise InputError(file, f"{where}.{k}", "one of " + ", ".join(valid)
                             + suggest(d[k], valid), d[k])
    for k in ("label", "trigger"):
        t = _want(file, f"{where}.{k}", d[k], "table")
        if "en" not in t:
            raise InputError(file, f"{where}.{k}.en", "an English text (zh optional)")
    params = _want(file, f"{where}.params", d["params"], "table")
    for name, p in params.items():
        pw = f"{where}.params.{name}"
        _want(file, pw, p, "table")
        _keys(file, pw, p, EXTRA_PARAM)
        for k in EXTRA_PARAM:
            if k not in p:
                raise InputError(file, f"{pw}.{k}", "a value: every number carries a value, "
                                 "unit, label and source (or the word 'assumption')")
        for k in ("unit", "label", "source"):
            if not (isinstance(p[k], str) and p[k].strip()):
                raise InputError(file, f"{pw}.{k}", "a non-empty text", p[k])
        _param_value(file, f"{pw}.value", p["value"], p["unit"])
    trig = _want(file, f"{where}.triggers", d["triggers"], "list")
    events = base.events
    if not trig:
        raise InputError(file, f"{where}.triggers", "at least one trigger {event = ...}")
    for i, t in enumerate(trig):
        tw = f"{where}.triggers[{i}]"
        _want(file, tw, t, "table")
        _keys(file, tw, t, TRIGGER)
        if "event" not in t:
            raise InputError(file, f"{tw}.event", "an event of model/policy/events.toml")
        if t["event"] not in events:
            raise InputError(file, f"{tw}.event", "an event of model/policy/events.toml"
                             + suggest(str(t["event"]), events), t["event"])
        if "param" in t and t["param"] not in params:
            raise InputError(file, f"{tw}.param", "a parameter of this clause"
                             + suggest(str(t["param"]), params), t["param"])
    if d["formula"] == "rate" and "rate" not in params:
        raise InputError(file, f"{where}.params.rate", "a 'rate' parameter (formula 'rate')")
    if d["formula"] == "fixed" and any("param" not in t for t in trig):
        raise InputError(file, f"{where}.triggers", "a 'param' on every trigger "
                         "(formula 'fixed' pays that parameter per event)")
    for i, s in enumerate(_want(file, f"{where}.schedule", d.get("schedule", []), "list")):
        sw_ = f"{where}.schedule[{i}]"
        _keys(file, sw_, _want(file, sw_, s, "table"), PAYMENT)
        for k in PAYMENT:
            if k not in s:
                raise InputError(file, f"{sw_}.{k}", "a value (offset, kind, param)")
        if not (isinstance(s["offset"], int) and 0 <= s["offset"] <= 2):
            raise InputError(file, f"{sw_}.offset", "0, 1 or 2 (years after the event)",
                             s["offset"])
        if s["kind"] not in KIND_CODES:
            raise InputError(file, f"{sw_}.kind", "one of " + ", ".join(KIND_CODES), s["kind"])
        if s["param"] not in params:
            raise InputError(file, f"{sw_}.param", "a parameter of this clause"
                             + suggest(str(s["param"]), params), s["param"])
    if d["formula"] == "schedule" and not d.get("schedule"):
        raise InputError(file, f"{where}.schedule", "at least one payment (formula 'schedule')")


def _check_params(file: Path, raw: dict) -> None:
    reg = load_registry()
    seen: dict[str, str] = {}
    for sec in ("parameters", "population"):
        for name, v in raw.get(sec, {}).items():
            where = f"{sec}.{name}"
            if name not in reg:
                pool = [k for k, s in reg.items() if (s.group == "population") == (
                    sec == "population")]
                raise InputError(file, where, "a parameter of model/params/registry.toml"
                                 + (suggest(name, pool) or suggest(name, reg)))
            spec = reg[name]
            if sec == "population" and spec.group != "population":
                raise InputError(file, where, f"an initial-population parameter ({name} is "
                                 f"in group {spec.group!r}: set it under [parameters])")
            if name in seen:
                raise InputError(file, where, f"one setting per parameter (already set under "
                                 f"[{seen[name]}])")
            seen[name] = sec
            v = _want(file, where, v, "number")
            lo, hi = spec.range
            if not lo <= v <= hi:
                raise InputError(file, where, f"a value within the registry range "
                                 f"[{lo:g}, {hi:g}] ({spec.unit})", v)


def _check_budget_types(file: Path, b: dict) -> None:
    _keys(file, "budget", b, BUDGET)
    if "enabled" in b:
        _want(file, "budget.enabled", b["enabled"], "bool")
    if "total" in b:
        _money(file, "budget.total", b["total"], "万元 per year")
    if "rule" in b and b["rule"] not in RULES:
        raise InputError(file, "budget.rule", "one of " + ", ".join(RULES)
                         + suggest(str(b["rule"]), RULES), b["rule"])
    if "unpaid" in b and b["unpaid"] not in UNPAID:
        raise InputError(file, "budget.unpaid", "one of " + ", ".join(UNPAID)
                         + suggest(str(b["unpaid"]), UNPAID), b["unpaid"])
    for k in ("priority", "kinds"):
        if k in b:
            for i, x in enumerate(_want(file, f"budget.{k}", b[k], "list")):
                _want(file, f"budget.{k}[{i}]", x, "str")
    for i, k in enumerate(b.get("kinds", [])):
        if k not in KIND_CODES:
            raise InputError(file, f"budget.kinds[{i}]", "one of " + ", ".join(KIND_CODES)
                             + suggest(k, KIND_CODES), k)
    for name, g in _want(file, "budget.groups", b.get("groups", {}), "table").items():
        where = f"budget.groups.{name}"
        _keys(file, where, _want(file, where, g, "table"), GROUP)
        for k in GROUP:
            if k not in g:
                raise InputError(file, f"{where}.{k}", "a value: a group has clauses = [...] "
                                 "and limit (万元 per year)")
        _money(file, f"{where}.limit", g["limit"], "万元 per year")
        for i, x in enumerate(_want(file, f"{where}.clauses", g["clauses"], "list")):
            _want(file, f"{where}.clauses[{i}]", x, "str")


# -- reading the chain ----------------------------------------------------------------------
MAX_SCENARIO_BYTES = 10 * 2**20  # a scenario is a page of settings; 10 MiB is not one


def _read(path: Path, by: Path | None) -> dict:
    if not path.exists():
        if by is None:
            raise InputError(path, "file", "an existing scenario TOML file", str(path))
        raise InputError(by, "extends", "an existing scenario file (a path relative to this "
                         "file)", str(path.relative_to(by.parent) if path.is_relative_to(
                             by.parent) else path))
    text = read_text(path, "scenario TOML file", MAX_SCENARIO_BYTES)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(path, "TOML syntax", "a valid TOML file", str(e)) from None
    except RecursionError:
        raise InputError(path, "TOML syntax", "a TOML file nested less deeply",
                         "too deep") from None


def _chain(path: Path) -> list[tuple[Path, dict]]:
    """The scenario and what it extends, the scenario first; cycles are an error."""
    out: list[tuple[Path, dict]] = []
    seen: list[Path] = []
    cur, by = path.resolve(), None
    while True:
        if cur in seen:
            names = " -> ".join(p.name for p in [*seen, cur])
            raise InputError(seen[-1], "extends", "a chain of extends without a cycle", names)
        raw = _read(cur, by)
        seen.append(cur)
        out.append((cur, raw))
        ext = raw.get("extends")
        if ext is None:
            return out
        if not isinstance(ext, str):
            raise InputError(cur, "extends", "a file name in quotes", ext)
        by, cur = cur, (cur.parent / ext).resolve()


def _merge(base: dict, over: dict, file: str, origin: dict, prefix: str = "") -> dict:
    """Deep merge: tables merge key by key, anything else is replaced. Records who set what."""
    out = dict(base)
    for k, v in over.items():
        at = f"{prefix}{k}"
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, file, origin, at + ".")
        else:
            out[k] = v
            origin[at] = file
    if not over and prefix:
        origin.setdefault(prefix[:-1], file)
    return out


# -- building the scenario ------------------------------------------------------------------
def load_scenario(path: str | Path) -> Scenario:
    """Read, check and resolve a scenario file (and what it extends) into a Scenario."""
    path = Path(path)
    base = load_policy()
    chain = _chain(path)
    for file, raw in chain:
        _check_file(file, raw)
    policy = base  # each file's [policy] on top of its parents'
    for file, raw in reversed(chain):
        policy = _apply_policy(file, raw.get("policy", {}), policy)
    merged: dict = {}
    origin: dict[str, str] = {}
    for file, raw in reversed(chain):
        inherited = {k: v for k, v in raw.items() if k not in NOT_INHERITED}
        merged = _merge(merged, inherited, str(file), origin)
    own = chain[0][1]
    leaf = chain[0][0]
    merged = {**{k: own[k] for k in ("name", "purpose", "purpose_zh", "notes") if k in own},
              **merged}
    if "name" not in merged:  # the file's name, which must then be a valid name too
        if not is_identifier(leaf.stem):
            raise InputError(leaf, "name", f"{IDENTIFIER_TEXT} (the file name {leaf.name!r} "
                             "is not one: add name = \"...\")")
        merged["name"] = leaf.stem

    def at(key: str) -> Path:
        return Path(origin.get(key, leaf))

    params = {**default_params(), **merged.get("parameters", {}), **merged.get("population", {})}
    params = {k: float(v) for k, v in params.items()}
    budget = _build_budget(merged.get("budget", {}), policy, at)
    run = merged.get("run", {})
    kw = {k: run[k] for k in RUN if k in run}
    if "posterior" in kw:  # relative to the repository root, as calibration/ writes it
        from model.calibration.posterior import load_posterior, resolve

        kw["posterior"] = resolve(kw["posterior"])
        load_posterior(kw["posterior"])
    start, horizon = kw.get("start", 2020), kw.get("horizon", 2025)
    if horizon < start:
        raise InputError(at("run.horizon"), "run.horizon", f"a year on or after run.start "
                         f"({start})", horizon)
    return Scenario(name=merged["name"], purpose=merged.get("purpose", ""), policy=policy,
                    params=params, path=path, budget=budget, raw=merged,
                    chain=tuple(str(p) for p, _ in chain), **kw)


def _apply_policy(file: Path, pol: dict, policy: Policy) -> Policy:
    """Add the file's extra clauses, then apply its switches and clause overrides."""
    from model.policy.overrides import apply_policy_overrides
    from model.policy.spec import _clause

    for cid, d in _want(file, "policy.extra_clauses", pol.get("extra_clauses", {}),
                        "table").items():
        where = f"policy.extra_clauses.{cid}"
        check_name(file, where, cid)
        _check_extra(file, where, cid, d, policy)
        d = {**d, "id": cid, "serves_targets": d.get("serves_targets", [])}
        try:
            c = _clause(file, d, policy.switches, policy.events)
        except InputError as e:
            raise InputError(e.file, f"{where}.{e.where}", e.expected, e.got) from None
        policy = dataclasses.replace(policy, clauses={**policy.clauses, cid: c})
    for cid, d in (pol.get("clauses") or {}).items():
        end = d.get("end") if isinstance(d, dict) else None
        if isinstance(end, dt.date) and end < policy.start:
            raise InputError(file, f"policy.clauses.{cid}.end", "an end date on or after the "
                             f"window's start {policy.start.isoformat()}", end.isoformat())
    return apply_policy_overrides(policy, pol, str(file), handled=("extra_clauses",))


def _build_budget(b: dict, policy: Policy, at) -> Budget | None:
    if not b or b.get("enabled", True) is False:
        return None
    ids = policy.clause_ids
    if "total" not in b and not b.get("groups"):
        raise InputError(at("budget"), "budget", "a total (万元 per year) or groups = "
                         "{name = {clauses = [...], limit = ...}}")
    lines, owner = [], {}
    for name, g in b.get("groups", {}).items():
        for i, cid in enumerate(g["clauses"]):
            where = f"budget.groups.{name}.clauses"
            if cid not in ids:
                raise InputError(at(where), f"{where}[{i}]", "a clause id" + suggest(cid, ids),
                                 cid)
            if cid in owner:
                raise InputError(at(where), f"{where}[{i}]", f"each clause in one group at most "
                                 f"({cid} is already in group {owner[cid]!r})", cid)
            owner[cid] = name
        lines.append(BudgetLine(name, float(g["limit"]), tuple(g["clauses"])))
    rule = b.get("rule", "pro_rata")
    prio = tuple(b.get("priority", ()))
    for i, cid in enumerate(prio):
        if cid not in ids:
            raise InputError(at("budget.priority"), f"budget.priority[{i}]", "a clause id"
                             + suggest(cid, ids), cid)
    if rule == "priority" and not prio:
        raise InputError(at("budget.rule"), "budget.priority", "a list of clause ids in "
                         "order of payment (rule = \"priority\")")
    return Budget(total=float(b["total"]) if "total" in b else None, groups=tuple(lines),
                  rule=rule, priority=prio, unpaid=b.get("unpaid", "carry"),
                  kinds=tuple(b.get("kinds", KIND_CODES)))


# -- finding scenarios ------------------------------------------------------------------------
def scenario_path(arg: str | Path) -> Path:
    """A scenario file as given, or scenarios/<name>.toml."""
    p = Path(arg)
    if p.is_file():
        return p
    for cand in (SCENARIOS / f"{arg}.toml", SCENARIOS / str(arg)):
        if cand.is_file():
            return cand
    raise InputError(arg, "scenario", "an existing scenario TOML file (or a name in "
                     "scenarios/)" + suggest(str(arg), [q.stem for q in shipped()]))


def shipped(folder: Path = SCENARIOS) -> list[Path]:
    """The scenario files in `folder`, baseline first, then by name."""
    files = sorted(folder.glob("*.toml"))
    return sorted(files, key=lambda p: (p.stem not in ("baseline", "no_policy"), p.stem != (
        "baseline"), p.stem))


def list_scenarios(folder: Path = SCENARIOS, lang: str = "en") -> list[tuple[str, str, str]]:
    """(file name, scenario name, purpose) of every scenario in `folder`, read without running;
    the purpose in Chinese (`purpose_zh`) when asked for and given."""
    out = []
    for p in shipped(folder):
        raw = _read(p, None)
        purpose = raw.get("purpose_zh") if lang == "zh" else None
        out.append((p.name, str(raw.get("name", p.stem)), str(purpose or raw.get("purpose", ""))))
    return out
