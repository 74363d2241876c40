"""`parksim`: the command line. Each subcommand is one small function, registered in COMMANDS.

To add a subcommand, write `_args_x(parser)` (its options) and `cmd_x(args) -> int` (the work)
and add one `Command` line to COMMANDS. Bad input raises `InputError` anywhere below; `main`
turns it into one `error: ...` line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import shutil
import signal
import sys
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from model.errors import InputError
from model.i18n import LANGS, kind_label, label, param_label, reason_label, t, unit_text

# -- text layout ----------------------------------------------------------------------------


def _width(s: str) -> int:
    """Terminal columns of `s`: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _wrap(text: str, width: int) -> list[str]:
    """Wrap on spaces, or anywhere in CJK text, to `width` terminal columns."""
    if "\n" not in text and _width(text) <= width:
        return [text]  # keeps alignment padding
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            cand = f"{line} {word}" if line else word
            if _width(cand) <= width:
                line = cand
                continue
            if line:
                lines.append(line)
                line = ""
            for ch in word:  # a word (or CJK run) longer than the column: break it
                if _width(line + ch) > width:
                    lines.append(line)
                    line = ""
                line += ch
        lines.append(line)
    return lines or [""]


def _pad(s: str, width: int) -> str:
    return s + " " * max(0, width - _width(s))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]],
          widths: Sequence[int | None]) -> str:
    """A plain-text table; columns with a width wrap, the others fit their content."""
    cols = []
    for i, w in enumerate(widths):
        natural = max([_width(headers[i])] + [_width(str(r[i])) for r in rows])
        cols.append(natural if w is None else min(w, max(natural, _width(headers[i]))))
    out = ["  ".join(_pad(h, w) for h, w in zip(headers, cols, strict=True)).rstrip(),
           "  ".join("-" * w for w in cols)]
    for r in rows:
        cells = [_wrap(str(c), w) for c, w in zip(r, cols, strict=True)]
        for k in range(max(len(c) for c in cells)):
            out.append("  ".join(_pad(c[k] if k < len(c) else "", w)
                                 for c, w in zip(cells, cols, strict=True)).rstrip())
    return "\n".join(out)


def _num(v: float) -> str:
    return f"{v:,.4f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def money(v: float) -> str:
    """万元 to four decimals (one yuan), the precision the ledger is good for."""
    return f"{v:,.4f}"


# -- parksim policy -------------------------------------------------------------------------


def _short(text: str) -> str:
    """A label or unit without its parenthetical remark, for a table cell."""
    return text.split(" (")[0].strip()


def _param_text(policy, cid: str, name: str, lang: str = "en") -> str:
    """One parameter as `value unit` (rates as percentages), straight from the clause data;
    the unit in `lang` from i18n.UNITS."""
    p = policy.clauses[cid].params[name]
    v = policy.value(cid, name)
    unit = _short(p.unit)
    text = unit_text(unit, _num(v * 100 if unit.startswith("share") else v), lang)
    if p.switch:
        text += f" [{p.switch}]"
    if p.scale_switch:
        text += f" [{_num(p.value)} × {p.scale_switch}]"
    return text


def _clause_row(policy, cid: str, lang: str) -> list[str]:
    c = policy.clauses[cid]
    caps = [n for n in c.params if n.startswith("cap")]
    mins = [n for n in c.params if n.startswith("min")]
    award = [n for n in c.params if n not in caps and n not in mins]
    many = len(award) > 1
    if c.formula == "none":
        award_txt = "-"
    else:
        award_txt = "; ".join((f"{param_label(_short(c.params[n].label), lang)}: " if many
                               else "")
                              + _param_text(policy, cid, n, lang) for n in award)
    limits = [_param_text(policy, cid, n, lang) for n in caps]
    limits += [f"{param_label(_short(c.params[n].label), lang)} ≥ "
               f"{_param_text(policy, cid, n, lang)}"
               for n in mins]
    name = label(c.label, lang) + ("" if c.enabled else " " + t("off", lang))
    return [cid, t("item_ref", lang, n=c.item), name, label(c.trigger, lang), award_txt,
            "; ".join(limits) or t("no_cap", lang), kind_label(c.kind, lang)]


def _args_policy(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="FILE",
                   help="show the policy as a scenario TOML changes it (default: the 2020 text "
                   "as written)")
    p.add_argument("--quotes", action="store_true",
                   help="also print each clause's Chinese source sentence")


def cmd_policy(args: argparse.Namespace) -> int:
    """Print the clause table, the switches and the window, all read from the data files."""
    policy = _policy(args)
    lang = args.lang
    cols = max(100, shutil.get_terminal_size((120, 24)).columns)
    print(t("policy_title", lang))
    print(t("money_note", lang))
    print()
    heads = [t(k, lang) for k in ("col_id", "col_item", "col_clause", "col_trigger",
                                  "col_award", "col_caps", "col_kind")]
    rows = [_clause_row(policy, cid, lang) for cid in policy.clause_ids]
    fixed = 5 + 12 + 12 + 7 * 2  # id, item, kind and the gaps
    flex = max(60, cols - fixed)
    print(table(heads, rows, [None, None, flex * 2 // 10, flex * 3 // 10, flex * 3 // 10,
                              flex * 2 // 10, 12]))
    if args.quotes:
        print()
        for cid, c in policy.clauses.items():
            for line in _wrap(f"{cid}  " + t("source_line", lang, quote=c.quote), cols - 2):
                print(line)
    print()
    print(t("switches_title", lang))
    heads = [t(k, lang) for k in ("col_switch", "col_value", "col_default", "col_choices",
                                  "col_rationale")]
    rows = []
    for s in policy.switches.values():
        allowed = (" | ".join(str(c) for c in s.choices) if s.choices is not None
                   else f"{_num(float(s.range[0]))}..{_num(float(s.range[1]))}")
        rows.append([s.name, str(s.value), str(s.default), allowed,
                     # the rationale is written in English (switches.toml): --lang en shows it
                     label(s.label, lang) if lang == "zh" else
                     f"{label(s.label, lang)}. {s.rationale}"])
    print(table(heads, rows, [None, 12, 12, 16, max(40, cols - 22 - 12 - 12 - 16 - 8)]))
    print()
    print(t("window_line", lang, start=policy.start, end=policy.end))
    elig = policy.window_meta.get("eligibility", {})
    who = (elig.get("quote", "") if lang == "zh"
           else "; ".join(elig.get("requires", [])))
    for line in _wrap(t("eligibility_line", lang, who=who), cols - 2):
        print(line)
    print()
    for line in background_lines(_scenario_params(args), lang, cols - 2):
        print(line)
    print(t("events_hint", lang))
    return 0


# -- parksim events -------------------------------------------------------------------------


def _args_events(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", metavar="FILE",
                   help="list the events as a scenario's policy uses them (default: the 2020 "
                   "text as written)")


def cmd_events(args: argparse.Namespace) -> int:
    """Print every event type an events CSV may use, with an example row of each."""
    from model.policy.events_listing import HEADS, rows

    lang = args.lang
    cols = max(100, shutil.get_terminal_size((120, 24)).columns)
    print(t("events_title", lang))
    print(t("events_columns", lang))
    print()
    # the example row is never wrapped (it is meant to be copied); the label takes what is left
    print(table(HEADS[lang], rows(_policy(args), lang),
                [None, 8, 22, max(24, cols - 26 - 10 - 22 - 12 - 42 - 10), 12, None]))
    return 0


def _scenario_params(args: argparse.Namespace) -> dict:
    """The behavioural parameters of `--scenario FILE`, or the registry's defaults."""
    from model.params import default_params

    scenario = getattr(args, "scenario", None)
    if not scenario:
        return default_params()
    from model.scenario import load_scenario

    return load_scenario(scenario).params


def _rule_numbers(table: dict) -> str:
    """The numbers of a rules.toml table (its unit, source and quote left out)."""
    return ", ".join(f"{k} = {v}" for k, v in table.items()
                     if k not in ("unit", "source", "quote") and not isinstance(v, str))


def background_lines(params: dict, lang: str, width: int) -> list[str]:
    """`parksim policy`'s "Background policies" section, from model/policy/background.toml:
    each policy with its level, years, channel, amounts (rules and registry) and source."""
    from model.behaviour.background import load_background
    from model.params import load_registry
    from model.params.rules import load_rules

    reg, rules = load_registry(), load_rules()
    out = [t("background_title", lang)]
    for b in load_background().values():
        years = (t("bg_years", lang, first=b.first_year) if b.last_year == 0
                 else t("bg_years_to", lang, first=b.first_year, last=b.last_year))
        out.append(f"[{t('level_' + b.level, lang)}] {label(b.label, lang)} ({years})")
        lines = [t("bg_channel", lang, text=label(b.channel, lang))]
        if b.rules:
            lines.append(t("bg_rules", lang, text="; ".join(
                f"[{k}] {_rule_numbers(rules[k])}" for k in b.rules)))
        english_only = lang == "zh"  # sources, registry units and notes exist in English only
        if b.params and not english_only:
            lines.append(t("bg_params", lang, text="; ".join(
                f"{n} = {_num(float(params[n]))} {reg[n].unit} [{_num(reg[n].range[0])}, "
                f"{_num(reg[n].range[1])}]" for n in b.params)))
        if b.setting:
            lines.append(t("bg_switch", lang, name=b.setting, value=_num(float(params[b.setting]))))
        if b.modelled != "yes" and not english_only:
            lines.append(t("bg_modelled", lang, text=b.modelled))
        if not english_only:
            lines.append(t("bg_source", lang, text=b.source))
        if b.quote:
            lines.append(t("source_line", lang, quote=b.quote))
        for text in lines:
            out += ["  " + s for s in _wrap(text, width - 2)]
    if lang == "zh":
        out.append(t("bg_english_only", lang))
    return out


# -- parksim awards -------------------------------------------------------------------------


def _args_awards(p: argparse.ArgumentParser) -> None:
    p.add_argument("events", metavar="EVENTS.csv",
                   help="columns unit_id (any text: credit code, name, number), year, event, "
                   "amount, eligible, and optionally credit_code; `parksim events` lists the "
                   "event types")
    p.add_argument("--out", metavar="LEDGER.csv", required=True,
                   help="where to write the award ledger (one row per award)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace LEDGER.csv (and LEDGER.xlsx) if it exists (never the events "
                   "file itself)")
    p.add_argument("--scenario", metavar="FILE",
                   help="a scenario TOML whose [policy] table changes switches or clauses "
                   "(default: the 2020 text as written)")
    p.add_argument("--xlsx", action="store_true",
                   help="also write LEDGER.xlsx beside it: the ledger and the totals as Excel "
                   "sheets")


def ledger_frame(events, ledger):
    """The ledger as written: unit ids as the events file gives them (with each unit's credit
    code when the file has that column) and event rows numbered as a spreadsheet shows them."""
    frame = ledger.to_frame()
    # event_row: the events file's row as a spreadsheet numbers it (header = 1), as in errors
    if events.rows is not None:
        frame["event_row"] = events.rows[frame["event_row"].to_numpy()]
    if events.units is not None:
        codes = frame["unit_id"].to_numpy()
        frame["unit_id"] = events.units[codes]
        if events.credit_codes is not None:
            frame.insert(1, "credit_code", events.credit_codes[codes])
    return frame


def kind_totals(ledger) -> dict[str, float]:
    """Grand total per kind: math.fsum over the ledger rows themselves, not over subtotals."""
    from model.policy.core import KIND_CODES

    return {k: math.fsum(ledger.amount[ledger.kind == i]) for i, k in enumerate(KIND_CODES)
            if (ledger.kind == i).any()}


def cmd_awards(args: argparse.Namespace) -> int:
    """Award ledger for an events file: every row's award with caps, window and switches."""
    from model.outputs import csv_encoding, prepare_file, write_csv
    from model.policy.core import compute_ledger
    from model.policy.events_io import read_events

    lang = args.lang
    place = prepare_file(args.out, overwrite=args.overwrite, create_parents=False,
                         inputs=[args.events, getattr(args, "scenario", None)])
    book = None
    if getattr(args, "xlsx", False):
        book = prepare_file(place.path.with_suffix(".xlsx"), option="--out (its .xlsx)",
                            overwrite=args.overwrite, create_parents=False,
                            inputs=[args.events, getattr(args, "scenario", None)])
    policy = _policy(args)
    events = read_events(args.events, policy)
    ledger = compute_ledger(events, policy)
    frame = ledger_frame(events, ledger)
    enc = csv_encoding(lang)
    out = place.write(lambda f: write_csv(frame, f, encoding=enc))
    if book is not None:
        book.write(lambda f: f.write(_awards_workbook(frame, ledger, policy, lang)))
    print(t("events_read", lang, n=len(events), file=args.events))
    print(t("ledger_written", lang, n=len(ledger), file=out))
    if book is not None:
        print(t("workbook_written", lang, file=book.path))
    print()
    print(t("awards_title", lang))
    totals = ledger.totals()
    if not totals:
        print(t("no_awards", lang))
        return 0
    counts = {}
    for ci, cid in enumerate(ledger.clause_ids):
        for ki, kind in enumerate(("grant", "fund_investment")):
            counts[(cid, kind)] = int(((ledger.clause == ci) & (ledger.kind == ki)).sum())
    rows = [[cid, kind_label(kind, lang), str(counts[(cid, kind)]), money(v)]
            for (cid, kind), v in totals.items()]
    heads = [t(k, lang) for k in ("col_clause", "col_kind", "col_rows", "col_total")]
    for kind, v in kind_totals(ledger).items():
        rows.append([t("grand_total", lang), kind_label(kind, lang),
                     str(int((ledger.kind == ("grant", "fund_investment").index(kind)).sum())),
                     money(v)])
    for col in (2, 3):  # numbers right-aligned
        w = max([_width(heads[col])] + [len(r[col]) for r in rows])
        for r in rows:
            r[col] = r[col].rjust(w)
    print(table(heads, rows, [None, None, None, None]))
    zero = ledger.amount == 0
    if zero.any():
        from model.policy.core import CAPS, REASONS

        print()
        print(t("zero_reasons", lang))
        pairs = zip(ledger.reason[zero].tolist(), ledger.capped_by[zero].tolist(), strict=True)
        counts: dict[tuple[int, int], int] = {}
        for pair in pairs:
            counts[pair] = counts.get(pair, 0) + 1
        for (code, cap), n in sorted(counts.items()):
            why = (REASONS[code] if code else f"cap_reached_{CAPS[cap]}" if cap
                   else "zero_amount")
            print(f"  {reason_label(why, lang)}: {n}")
    return 0


def _awards_workbook(frame, ledger, policy, lang: str) -> bytes:
    """LEDGER.xlsx: the ledger, and the totals per clause and kind (what the command prints)."""
    import pandas as pd

    from model.policy.core import KIND_CODES
    from model.workbook import Sheet, workbook_bytes

    rows = []
    for (cid, kind), v in ledger.totals().items():
        n = int(((ledger.clause == ledger.clause_ids.index(cid))
                 & (ledger.kind == KIND_CODES.index(kind))).sum())
        rows.append({"clause": cid, "clause_label": label(policy.clauses[cid].label, lang),
                     "kind": kind, "rows": n, "total": v})
    for kind, v in kind_totals(ledger).items():
        rows.append({"clause": "all", "clause_label": t("grand_total", lang), "kind": kind,
                     "rows": int((ledger.kind == KIND_CODES.index(kind)).sum()), "total": v})
    totals = pd.DataFrame(rows, columns=["clause", "clause_label", "kind", "rows", "total"])
    return workbook_bytes([Sheet("ledger", frame), Sheet("totals", totals)], lang,
                          title="parksim awards")


# -- shared helpers -------------------------------------------------------------------------


def _policy(args: argparse.Namespace):
    """The policy of `--scenario FILE` (validated, extends resolved), or the 2020 text."""
    from model.policy.spec import load_policy
    from model.scenario import load_scenario

    scenario = getattr(args, "scenario", None)
    return load_scenario(scenario).policy if scenario else load_policy()


def _compare():
    """`parksim compare` and `parksim scenarios` live in model/compare.py."""
    from model import compare

    return compare


def _calibrate():
    """`parksim calibrate` lives in model/calibration/command.py."""
    from model.calibration import command

    return command


def _run_cmd():
    """`parksim run` lives in model/report/run_command.py; imported only when used."""
    from model.report import run_command

    return run_command


def _dashboard():
    """`parksim dashboard` lives in model/dashboard/command.py; imported only when used."""
    from model.dashboard import command

    return command


def _sensitivity():
    """`parksim sensitivity` lives in model/sensitivity/command.py; imported only when used."""
    from model.sensitivity import command

    return command


# -- registry and dispatch ------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command("policy", "print the award clauses, switches, validity window and background "
                      "policies",
            _args_policy, cmd_policy),
    Command("awards", "compute the award ledger for an events CSV",
            _args_awards, cmd_awards),
    Command("events", "list the event types an events CSV may use, with an example row each",
            _args_events, cmd_events),
    Command("run", "Monte Carlo of a scenario: P(targets), cost, additionality, figures",
            lambda p: _run_cmd().cli_arguments(p), lambda a: _run_cmd().run_from_args(a)),
    Command("compare", "scenarios side by side on common random numbers",
            lambda p: _compare().args_compare(p), lambda a: _compare().cmd_compare(a)),
    Command("scenarios", "list the shipped scenarios with their purpose lines",
            lambda p: _compare().args_scenarios(p), lambda a: _compare().cmd_scenarios(a)),
    Command("dashboard", "serve the policy dashboard on 127.0.0.1 (Solara, in the browser)",
            lambda p: _dashboard().add_arguments(p), lambda a: _dashboard().run(a)),
    Command("sensitivity", "SALib study of a scenario: indices, noise, convergence, PRIM boxes",
            lambda p: _sensitivity().add_arguments(p), lambda a: _sensitivity().run(a)),
    Command("calibrate", "ABC calibration to the known facts, then posterior predictive checks",
            lambda p: _calibrate().cli_arguments(p), lambda a: _calibrate().run_from_args(a)),
)


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, unless the help already names it (in words
    such as "default: the scenario's") or the option is a switch (off unless given)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        d = action.default
        if ("default" in text or d is None or d is False or d == argparse.SUPPRESS
                or action.nargs == 0 or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (usage goes to --help): bad input is one line."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, t("error", "en", msg=f"{self.prog}: {message} (see {self.prog} --help)")
                  + "\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; `--lang` works before or after the subcommand.

    Only the subcommand named in `argv` gets its arguments (and imports its module), so
    `parksim policy` does not pay for loading the dashboard or the sensitivity tools.
    """
    names = {c.name for c in COMMANDS}
    wanted = next((a for a in argv if a in names), None) if argv is not None else None
    parser = Parser(
        prog="parksim", formatter_class=HelpFormatter,
        description="Changji High-tech Zone: the 2020 innovation policy and what it costs.")
    parser.add_argument("--lang", choices=LANGS, default="en", help="output language")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=Parser)
    for c in COMMANDS:
        p = sub.add_parser(c.name, help=c.help, description=c.help,
                           formatter_class=HelpFormatter)
        # SUPPRESS: a subcommand's --lang only overrides when given, else the global one holds.
        p.add_argument("--lang", choices=LANGS, default=argparse.SUPPRESS,
                       help="output language (default: the one given before the command, "
                       "else en)")
        if argv is None or c.name == wanted:
            c.add_arguments(p)
        p.set_defaults(_run=c.run)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`): the command ends as on Ctrl-C, cleanly, in one line."""

    code = 128 + signal.SIGTERM


def _terminate(signum, frame):  # noqa: ARG001
    raise Terminated


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line on stderr: Python's default format adds the file, line number and
    source line of the code that warned, which tells a user nothing (issue 18's font warning)."""
    if str(message) not in _WARNED:  # the warm-up run and the real one warn alike: say it once
        _WARNED.add(str(message))
        print(f"warning: {message}", file=sys.stderr if file is None else file)


_WARNED: set[str] = set()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `parksim` console script; returns the exit status.

    Bad input: one `error: ...` line, status 2. Ctrl-C or SIGTERM: staged output is removed
    as the exception unwinds (model.outputs), worker processes are ended, one line, status
    130 (128 + SIGINT). A failure of the machine (disk full, ...): one line, status 1."""
    from model.workers import stop_pools

    argv = list(sys.argv[1:] if argv is None else argv)
    prev = None
    with contextlib.suppress(ValueError):  # only the main thread may set handlers
        prev = signal.signal(signal.SIGTERM, _terminate)
    lang = "zh" if "zh" in argv and "--lang" in argv else "en"
    try:
        try:
            args = build_parser(argv).parse_args(argv)
        except SystemExit as e:  # --help (0), or a usage error already printed (2)
            return e.code if isinstance(e.code, int) else 2
        lang = getattr(args, "lang", lang)
        with warnings.catch_warnings():
            _WARNED.clear()  # once per command, not once per process (tests call main often)
            warnings.showwarning = _show_warning
            return args._run(args)
    except InputError as e:
        print(t("error", "en", msg=e), file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        stop_pools()
        print(t("interrupted", lang), file=sys.stderr, flush=True)
        return getattr(e, "code", 128 + signal.SIGINT)
    except BrokenPipeError:  # `parksim policy | head`
        return 0
    except (OSError, MemoryError) as e:
        stop_pools()
        print(t("os_error", lang, msg=f"{type(e).__name__}: {e}"), file=sys.stderr)
        return 1
    finally:
        if prev is not None:
            signal.signal(signal.SIGTERM, prev)


if __name__ == "__main__":
    sys.exit(main())
