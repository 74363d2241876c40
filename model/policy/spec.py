"""The policy as data: load the clause files, the switches and the window into one `Policy`.

Code holds no amount: every number the award core uses is read here from the TOML files
beside this module, and a scenario changes the policy only by overriding that data.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from model.errors import InputError, suggest

HERE = Path(__file__).parent
CLAUSE_KINDS = ("grant", "fund_investment", "grant+fund_investment", "none")
BENEFICIARIES = ("enterprise", "unit", "institute", "carrier", "talent")
# who pays a clause's money: the prefecture's budget (the zone's 2020 text, Attachment 2) or the
# autonomous region's innovation fund (自治区自创区科技创新基金, main text item 21)
PAYERS = ("prefecture", "region_fund")
FORMULAS = ("none", "fixed", "rate", "patent_threshold", "schedule")


@dataclass(frozen=True)
class Param:
    """One number of a clause, with its unit and label (OpenFisca style)."""

    name: str
    value: Any
    unit: str
    label: str
    switch: str | None = None  # value taken from this switch
    scale_switch: str | None = None  # value multiplied by this switch


@dataclass(frozen=True)
class Trigger:
    event: str
    param: str | None = None
    once_per_unit: bool = False
    # (switch, value) pairs, all of which must hold for the trigger to count
    requires: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Payment:
    offset: int
    kind: str
    param: str
    split_switch: str | None = None
    payer: str | None = None  # who pays this instalment (default: the clause's payer)


@dataclass(frozen=True)
class Clause:
    id: str
    item: int
    kind: str
    beneficiary: str
    formula: str
    serves_targets: tuple[str, ...]
    label: dict
    trigger: dict
    quote: str
    triggers: tuple[Trigger, ...]
    schedule: tuple[Payment, ...]
    params: dict[str, Param]
    note: str = ""
    enabled: bool = True
    end: dt.date | None = None  # a clause-specific end, earlier than the window's
    payer: str = "prefecture"
    # a switch that, when "all", lets every event of the window's first year qualify in full
    # for this clause whatever `first_year_rule` says (P6c: `p6c_first_year`)
    first_year_switch: str | None = None


@dataclass(frozen=True)
class Switch:
    name: str
    value: Any
    default: Any
    label: dict
    rationale: str
    quote: str
    ambiguity: int
    choices: tuple | None = None
    range: tuple[float, float] | None = None
    unit: str = ""


@dataclass(frozen=True)
class EventType:
    name: str
    code: int
    basis: str  # amount | count | once
    unit: str
    label: dict
    # the same items seen from another unit: in the engines' dense events this event has no
    # array of its own; its items are those of `view_of`, each belonging to the unit that the
    # int array `unit_from` names at the item's position (-1: no unit of the zone)
    view_of: str | None = None
    unit_from: str | None = None


@dataclass(frozen=True)
class Policy:
    """Clauses, switches and the window; immutable, overrides make a new one."""

    clauses: dict[str, Clause]
    switches: dict[str, Switch]
    start: dt.date
    end: dt.date
    events: dict[str, EventType]
    window_meta: dict = field(default_factory=dict)
    # how the 2025 targets are counted: switches of model/targets.toml a scenario changed
    # ([policy.targets]); model.targets reads the others' defaults
    targets: dict = field(default_factory=dict)

    # -- look-ups -------------------------------------------------------------------------
    def switch(self, name: str) -> Any:
        return self.switches[name].value

    def live(self, trigger: Trigger) -> bool:
        """Whether a trigger counts under the current switches (all its `requires` hold)."""
        return all(self.switch(s) == v for s, v in trigger.requires)

    def payer(self, clause_id: str, kind: str) -> str:
        """Who pays a clause's money of one kind (grant, fund_investment)."""
        c = self.clauses[clause_id]
        for p in c.schedule:
            if p.kind == kind and p.payer:
                return p.payer
        return c.payer

    def value(self, clause_id: str, param: str):
        """A clause parameter's value after switches; float, list, or an array per sample."""
        p = self.clauses[clause_id].params[param]
        v = self.switch(p.switch) if p.switch else p.value
        if p.scale_switch:
            v = v * self.switch(p.scale_switch)
        return v

    @property
    def clause_ids(self) -> list[str]:
        return list(self.clauses)

    def clause_end(self, clause_id: str) -> dt.date:
        c = self.clauses[clause_id]
        return min(self.end, c.end) if c.end else self.end

    def year_share(self, clause_id: str, year: int) -> float:
        """Share of `year` in which the clause is in force (the first year follows the switch)."""
        c = self.clauses[clause_id]
        if not c.enabled:
            return 0.0
        end = self.clause_end(clause_id)
        lo, hi = max(self.start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
        if hi < lo:
            return 0.0
        days = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
        share = ((hi - lo).days + 1) / days
        if year == self.start.year and self.start > dt.date(year, 1, 1):
            rule = self.switch("first_year_rule")
            if c.first_year_switch and self.switch(c.first_year_switch) == "all":
                rule = "all"
            if rule == "all":
                share = 1.0 if hi == dt.date(year, 12, 31) else share
            elif rule == "none":
                share = 0.0
        return share

    def payable(self, clause_id: str, pay_year: int) -> bool:
        """Whether an instalment falling due in `pay_year` is paid (ambiguity 4)."""
        in_window = pay_year <= self.clause_end(clause_id).year
        return in_window or bool(self.switch("honour_after_window"))

    def schedule(self, clause_id: str) -> list[tuple[int, str, Any]]:
        """(offset, kind, amount) of each instalment, the split switch applied."""
        c = self.clauses[clause_id]
        out = []
        for p in c.schedule:
            amount = self.value(clause_id, p.param)
            if p.split_switch and self.switch(p.split_switch) == "total":
                amount = amount / sum(1 for q in c.schedule if q.param == p.param)
            out.append((p.offset, p.kind, amount))
        return out

    # -- overrides ------------------------------------------------------------------------
    def with_switches(self, **values: Any) -> Policy:
        sw = dict(self.switches)
        for k, v in values.items():
            sw[k] = replace(sw[k], value=v)
        return replace(self, switches=sw)

    def with_param(self, clause_id: str, param: str, value: Any) -> Policy:
        c = self.clauses[clause_id]
        params = dict(c.params)
        params[param] = replace(params[param], value=value, switch=None)
        return self._with_clause(replace(c, params=params))

    def with_clause(self, clause_id: str, *, enabled: bool | None = None,
                    end: dt.date | None = None) -> Policy:
        c = self.clauses[clause_id]
        return self._with_clause(replace(
            c, enabled=c.enabled if enabled is None else enabled, end=end or c.end))

    def with_targets(self, **values: Any) -> Policy:
        return replace(self, targets={**self.targets, **values})

    def with_window(self, end: dt.date) -> Policy:
        return replace(self, end=end)

    def without_awards(self) -> Policy:
        """The counterfactual: every clause off, data otherwise unchanged."""
        off = {k: replace(c, enabled=False) for k, c in self.clauses.items()}
        return replace(self, clauses=off)

    def _with_clause(self, c: Clause) -> Policy:
        cl = dict(self.clauses)
        cl[c.id] = c
        return replace(self, clauses=cl)

    @property
    def any_enabled(self) -> bool:
        return any(c.enabled and c.formula != "none" for c in self.clauses.values())


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise InputError(path, "TOML syntax", "a valid TOML file", str(e)) from None


def _clause(path: Path, d: dict, switches: dict, events: dict) -> Clause:
    def need(key: str):
        if key not in d:
            raise InputError(path, key, "a value (every clause file has it)")
        return d[key]

    params = {}
    for name, p in d.get("params", {}).items():
        if "value" not in p and "switch" not in p:
            raise InputError(path, f"params.{name}", "a 'value' or a 'switch'")
        for key in ("unit", "label"):
            if key not in p:
                raise InputError(path, f"params.{name}.{key}",
                                 "a unit and a label for every number")
        v = p.get("value")
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
            raise InputError(path, f"params.{name}.value", "a non-negative amount", v)
        for sw in (p.get("switch"), p.get("scale_switch")):
            if sw and sw not in switches:
                raise InputError(path, f"params.{name}", "a switch in switches.toml", sw)
        params[name] = Param(name, None if v is None else float(v), p["unit"], p["label"],
                             p.get("switch"), p.get("scale_switch"))
    triggers = []
    for i, t in enumerate(d.get("triggers", [])):
        if t["event"] not in events:
            raise InputError(path, f"triggers[{i}].event",
                             "an event of events.toml" + suggest(t["event"], events), t["event"])
        if t.get("param") and t["param"] not in params:
            raise InputError(path, f"triggers[{i}].param", "a key of [params]", t["param"])
        triggers.append(Trigger(t["event"], t.get("param"), bool(t.get("once_per_unit", False)),
                                _requires(path, f"triggers[{i}].requires", t.get("requires"),
                                          switches)))
    schedule = []
    for i, s in enumerate(d.get("schedule", [])):
        if s.get("payer", "prefecture") not in PAYERS:
            raise InputError(path, f"schedule[{i}].payer", f"one of {PAYERS}", s["payer"])
        schedule.append(Payment(int(s["offset"]), s["kind"], s["param"], s.get("split_switch"),
                                s.get("payer")))
    for i, s in enumerate(schedule):
        if any(q.kind == s.kind and (q.payer or d.get("payer", "prefecture"))
               != (s.payer or d.get("payer", "prefecture")) for q in schedule):
            raise InputError(path, f"schedule[{i}].payer",
                             "one payer per kind of money (fiscal tables book by clause and kind)",
                             s.payer)
    if d.get("payer", "prefecture") not in PAYERS:
        raise InputError(path, "payer", f"one of {PAYERS}", d["payer"])
    fy = d.get("first_year_switch")
    if fy is not None and (fy not in switches or switches[fy].choices is None
                           or "all" not in switches[fy].choices):
        raise InputError(path, "first_year_switch",
                         "a switch of switches.toml with a choice 'all'", fy)
    for key, valid in (("kind", CLAUSE_KINDS), ("beneficiary", BENEFICIARIES)):
        if need(key) not in valid:
            raise InputError(path, key, f"one of {valid}", d[key])
    formula = need("formula")
    if formula not in FORMULAS:
        raise InputError(path, "formula", f"one of {FORMULAS}", formula)
    return Clause(
        id=need("id"), item=int(need("item")), kind=need("kind"), beneficiary=need("beneficiary"),
        formula=formula, serves_targets=tuple(d.get("serves_targets", ())), label=need("label"),
        trigger=need("trigger"), quote=need("quote"), triggers=tuple(triggers),
        schedule=tuple(schedule), params=params, note=d.get("note", ""),
        payer=d.get("payer", "prefecture"), first_year_switch=fy)


def _requires(path: Path, where: str, req: Any, switches: dict) -> tuple[tuple[str, Any], ...]:
    """A trigger's conditions: one {switch, value} table or a list of them (all must hold)."""
    if req is None:
        return ()
    items = req if isinstance(req, list) else [req]
    out = []
    for j, r in enumerate(items):
        at = f"{where}[{j}]" if isinstance(req, list) else where
        if not isinstance(r, dict) or set(r) != {"switch", "value"}:
            raise InputError(path, at, "a table {switch = ..., value = ...}", r)
        sw = switches.get(r["switch"])
        if sw is None:
            raise InputError(path, f"{at}.switch", "a switch of switches.toml"
                             + suggest(str(r["switch"]), switches), r["switch"])
        if sw.choices is not None and r["value"] not in sw.choices:
            raise InputError(path, f"{at}.value", f"one of {sw.choices}", r["value"])
        out.append((r["switch"], r["value"]))
    return tuple(out)


def _sort_key(cid: str) -> tuple[int, str]:
    digits = "".join(ch for ch in cid[1:] if ch.isdigit())
    return int(digits), cid


@cache
def _load_default() -> Policy:
    ev = _read_toml(HERE / "events.toml")
    events = {name: EventType(name, i, e["basis"], e.get("unit", "occurrence"), e["label"],
                              e.get("view_of"), e.get("unit_from"))
              for i, (name, e) in enumerate(ev.items())}
    for name, e in events.items():
        if e.view_of is not None and (e.view_of not in events or not e.unit_from
                                      or events[e.view_of].basis != e.basis):
            raise InputError(HERE / "events.toml", f"{name}.view_of",
                             "an event of the same basis, with a `unit_from` array name",
                             e.view_of)
    sw = _read_toml(HERE / "switches.toml")
    switches = {
        name: Switch(name, s["value"], s["value"], s["label"], s["rationale"], s.get("quote", ""),
                     int(s["ambiguity"]), tuple(s["choices"]) if "choices" in s else None,
                     tuple(s["range"]) if "range" in s else None, s.get("unit", ""))
        for name, s in sw.items()}
    clauses = {}
    for path in sorted((HERE / "clauses").glob("*.toml")):
        c = _clause(path, _read_toml(path), switches, events)
        if c.id != path.stem:
            raise InputError(path, "id", f"the file's name {path.stem!r}", c.id)
        clauses[c.id] = c
    clauses = {k: clauses[k] for k in sorted(clauses, key=_sort_key)}
    win = _read_toml(HERE / "window.toml")
    return Policy(clauses, switches, win["window"]["start"], win["window"]["end"], events, win)


def load_policy() -> Policy:
    """The 2020 policy as written, with every switch at its default."""
    return _load_default()
