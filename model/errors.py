"""One error type for bad input, so the CLI can print a clear line instead of a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class InputError(Exception):
    """Bad input: names the file, the place in it (key path, row, column) and what was expected."""

    def __init__(self, file: str, where: str, expected: str, got: object = None) -> None:
        self.file, self.where, self.expected, self.got = str(file), where, expected, got
        msg = f"{self.file}: {where}: expected {expected}"
        if got is not None:
            msg += f", got {got!r}"
        super().__init__(msg)


def suggest(name: str, valid: Iterable[str]) -> str:
    """' (did you mean X?)' for the nearest valid name, or ''."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
