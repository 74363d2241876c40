"""Reading a text input (scenario TOML, events CSV, observed facts): UTF-8, or a clear refusal.

UTF-8 is read with or without a byte-order mark (Notepad and Excel's "CSV UTF-8" write one).
A file in GBK/GB18030, which Notepad and Excel on Chinese Windows save as "ANSI", is refused
with a message that names the encoding and how to convert it, rather than read: TOML must be
UTF-8 by its specification, and guessing an encoding would silently garble any file that is
in neither (Big5, Shift-JIS, Latin-1 also decode as GB18030), turning names and unit ids into
different text without a word. Saving as UTF-8 once costs the user one click.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from model.errors import InputError

CONVERT = ("save it as UTF-8 (Notepad: Save As, Encoding UTF-8; Excel: Save As 'CSV UTF-8'), "
           "or convert it: iconv -f GB18030 -t UTF-8 FILE > FILE.utf8.{ext}")


def read_text(path: str | Path, what: str, max_bytes: int | None = None) -> str:
    """The text of a regular file, decoded as UTF-8 (a BOM is dropped); InputError naming the
    file and what was expected for anything else (missing, a folder, a device, binary, another
    encoding, too large)."""
    file = str(path)
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise InputError(file, "file", f"an existing {what}", "no such file") from None
    except OSError as e:
        raise InputError(file, "file", f"a readable {what}", e.strerror) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(file, "file", f"{what}", "a folder")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(file, "file", f"{what} (a regular file)",
                         "a device, FIFO or socket")
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputError(file, "file", f"{what} of at most {max_bytes // 2**20} MiB",
                         f"{st.st_size / 2**20:,.0f} MiB")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(file, "file", f"a readable {what}", e.strerror) from None
    return decode(data, file, what)


def decode(data: bytes, file: str, what: str) -> str:
    """UTF-8 (BOM dropped), or the refusal described in the module docstring."""
    ext = Path(file).suffix.lstrip(".") or "txt"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(file, "encoding", f"UTF-8 text ({what}); "
                         + CONVERT.format(ext=ext).replace("GB18030", "UTF-16"), "UTF-16 text")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(file, f"byte {nul}", f"UTF-8 text ({what})", "binary data (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        at = e.start
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError(file, f"byte {at}", f"UTF-8 text ({what})",
                         "bytes that are neither UTF-8 nor GBK text (a binary file?)") from None
    raise InputError(file, "encoding", f"UTF-8 text ({what}); " + CONVERT.format(ext=ext),
                     "GBK/GB18030 text (what Chinese Windows saves as 'ANSI')")
