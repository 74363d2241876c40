"""Values checked at the door: finite, in range, with their unit, before any work starts.

One place for the limits every input shares (scenario files, events files, command-line
options), so a NaN, an infinity, a negative seed or a year of 10^23 is refused with the file,
the key and what was expected, instead of a traceback or a silent "nan" after minutes of work.
These are plausibility limits on input, not model parameters: each says why it is where it is.
"""

from __future__ import annotations

import math
from typing import Any

from model.errors import InputError

# No award, cap, budget or event amount of a prefecture's innovation policy comes near a
# trillion yuan (Xinjiang's whole GDP was about 1.9 trillion yuan in 2023); above it a value
# is a typo, and sums of such values would lose the ledger's one-yuan precision.
MAX_AMOUNT_WAN = 1e8  # 万元 = 1e12 yuan
MAX_COUNT = 1e6  # a count of patents, standards, ... in one application or one threshold
# Years an event can carry: the People's Republic's founding to the end of the century.
# Years outside the policy's window (2020-2025) stay valid and simply earn nothing.
MIN_YEAR, MAX_YEAR = 1949, 2100
# Unit ids: whole numbers of at most 15 digits (ids of registers, credit codes' numeric part);
# beyond that they would overflow the ledger's (unit, year) keys.
MAX_UNIT_ID = 10**15 - 1
MAX_NUMBER_TEXT = 40  # characters of a number in a CSV cell: no id or year is longer
MAX_SEED = 2**63 - 1  # numpy's SeedSequence takes any non-negative integer; TOML's int64 limit
MAX_WORKERS = 256  # processes; more than any machine parksim runs on has cores


def finite(file: str, where: str, v: Any) -> float:
    """A number (not a boolean), finite; -0.0 becomes 0.0 so no output shows "-0"."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise InputError(file, where, "a number", v)
    try:
        f = float(v)
    except OverflowError:
        raise InputError(file, where, "a finite number", v) from None
    if not math.isfinite(f):
        raise InputError(file, where, "a finite number", v)
    return f + 0.0


def amount(file: str, where: str, v: Any, unit: str = "万元") -> float:
    """A non-negative amount of money, at most MAX_AMOUNT_WAN."""
    f = finite(file, where, v)
    if not 0 <= f <= MAX_AMOUNT_WAN:
        raise InputError(file, where, f"a non-negative amount of at most "
                         f"{MAX_AMOUNT_WAN:,.0f} ({unit})", v)
    return f


def clause_number(file: str, where: str, v: Any, unit: str) -> float:
    """A clause parameter by its unit: a share from 0 to 1, an amount in 万元, or a count."""
    f = finite(file, where, v)
    if unit.startswith("share"):
        if not 0 <= f <= 1:
            raise InputError(file, where, f"a share from 0 to 1 ({unit})", v)
    elif unit.startswith("万元"):
        if not 0 <= f <= MAX_AMOUNT_WAN:
            raise InputError(file, where, f"a non-negative amount of at most "
                             f"{MAX_AMOUNT_WAN:,.0f} ({unit})", v)
    elif not 0 <= f <= MAX_COUNT:
        raise InputError(file, where, f"a non-negative number of at most {MAX_COUNT:,.0f} "
                         f"({unit})", v)
    return f


def whole(option: str, v: Any, lo: int = 1, hi: int | None = None,
          what: str = "a whole number") -> int:
    """A command-line integer within [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(option, "value", what, v)
    if v < lo or (hi is not None and v > hi):
        rng = f"at least {lo:,}" if hi is None else f"from {lo:,} to {hi:,}"
        raise InputError(option, "value", f"{what} {rng}", v)
    return v


def seed(option: str, v: Any) -> int:
    """A root seed: a whole number from 0 to 2^63 - 1."""
    return whole(option, v, 0, MAX_SEED, "a whole-number seed")


def workers(option: str, v: Any) -> int:
    return whole(option, v, 1, MAX_WORKERS, "a number of processes")


def option_amount(option: str, v: Any, unit: str = "万元") -> float:
    """A command-line amount (argparse gives floats, 'nan' and 'inf' included)."""
    return amount(option, "value", v, unit)
