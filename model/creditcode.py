"""China's unified social credit code (统一社会信用代码, GB 32100-2015): format and check character.

Budget offices know applicants by this 18-character code. A mistyped code would make one
company two units in the ledger, each with its own per-unit caps, so an events file's optional
`credit_code` column is checked before any award is computed.

The check character is the standard's algorithm as python-stdnum implements it
(`stdnum.cn.uscc.calc_check_digit`: the 31-character alphabet 0-9 A-H J-N P-R T U W-Y, weights
3^i mod 31, check = 31 - sum mod 31). Its `validate` is not used because it also requires the
first two characters to be digits, while GB 32100-2015 lets the registration authority be a
letter (A, N, Y: e.g. N2... for rural collective economic organisations, Y1... for "other").
The format checked here is the standard's: positions 1-2 registration authority and entity
type (alphabet characters), 3-8 the administrative division code (digits), 9-17 the subject
identifier (alphabet characters), 18 the check character.
"""

from __future__ import annotations

from stdnum.cn.uscc import _alphabet as ALPHABET  # the standard's 31 characters
from stdnum.cn.uscc import calc_check_digit

LENGTH = 18


def normal(text: str) -> str:
    """The code as the standard writes it: upper case, no spaces or hyphens."""
    return "".join(ch for ch in text if ch not in " -\u3000").upper()


def problem(code: str) -> str | None:
    """Why `code` (already `normal`) is not a valid credit code, or None when it is."""
    if len(code) != LENGTH:
        return f"{len(code)} characters"
    bad = [ch for ch in code if ch not in ALPHABET]
    if bad:
        return (f"the character {bad[0]!r} (not in the code's alphabet, which leaves out "
                "I, O, S, V and Z)")
    if not code[2:8].isdigit():
        return "an administrative division code (characters 3-8) that is not six digits"
    want = calc_check_digit(code[:17])
    if code[17] != want:
        return f"check character {code[17]!r} where the code's first 17 characters give {want!r}"
    return None


def with_check(first17: str) -> str:
    """The full code for its first 17 characters (tests and examples build codes with it)."""
    return first17 + calc_check_digit(first17)
