"""Chinese text in matplotlib figures: find a CJK font once, or fall back to English.

Matplotlib's default font (DejaVu Sans) has no Chinese glyphs and draws empty boxes. The
project installs a CJK font through `make fonts` (Debian: fonts-noto-cjk, best effort, never
required). `figure_lang(lang)` is the one call figure code needs: it puts a CJK family first
in `font.sans-serif` and returns "zh", or warns once and returns "en" so figures are labelled
in English rather than in boxes. Shared by the dashboard and the run report.
"""

from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from functools import cache

# Families known to carry simplified Chinese, best first (Debian, macOS, Windows names).
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Noto Sans CJK JP",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
                "AR PL UMing CN", "PingFang SC", "Heiti SC", "Microsoft YaHei", "SimHei")
# Where Debian puts them; matplotlib's font cache may predate a later `apt-get install`.
FONT_GLOBS = ("/usr/share/fonts/opentype/noto/NotoSansCJK*.tt[cf]",
              "/usr/share/fonts/truetype/wqy/*.tt[cf]",
              "/usr/share/fonts/truetype/droid/DroidSansFallback*.ttf",
              "/usr/share/fonts/**/*CJK*.tt[cf]")


def _known() -> set[str]:
    from matplotlib import font_manager

    return {f.name for f in font_manager.fontManager.ttflist}


def _fc_list_files() -> list[str]:
    fc = shutil.which("fc-list")
    if not fc:
        return []
    try:
        out = subprocess.run([fc, ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":")[0].strip() for line in out.splitlines() if line.strip()]


@cache
def cjk_font() -> str | None:
    """The name of a font family with Chinese glyphs that matplotlib can use, or None.

    Looks in matplotlib's font list first; if nothing is there, registers the font files
    fontconfig or the usual Debian folders hold (the cache may be older than the fonts)."""
    def pick(names: set[str]) -> str | None:
        return next((f for f in CJK_FAMILIES if f in names), None)

    found = pick(_known())
    if found:
        return found
    from matplotlib import font_manager

    files = _fc_list_files() + [f for g in FONT_GLOBS for f in glob.glob(g, recursive=True)]
    added = set()
    for f in dict.fromkeys(files):
        try:
            font_manager.fontManager.addfont(f)
            added.add(font_manager.FontProperties(fname=f).get_name())
        except (OSError, RuntimeError, ValueError):
            continue
    return pick(_known()) or next(iter(sorted(added)), None)


_warned: set[str] = set()
NO_FONT = ("warning: no Chinese font found, so the figures are labelled in English; to fix it, "
           "run `make fonts` or install fonts-noto-cjk (Debian/Ubuntu: apt-get install "
           "fonts-noto-cjk).")


def figure_lang(lang: str) -> str:
    """The language to label figures in: `lang`, unless Chinese is asked for and no CJK
    font exists, then English with a one-time warning. Sets matplotlib's font list: the CJK
    font first for Chinese, as the fallback family (for a stray 万元) in English."""
    font = cjk_font()
    if lang != "zh":
        if font is not None:
            import matplotlib.pyplot as plt

            # matplotlib falls back along font.family (not within the generic list)
            plt.rcParams["font.family"] = ["sans-serif", font]
        return lang
    if font is None:
        if "zh" not in _warned:
            _warned.add("zh")
            # printed, not warnings.warn: its default format adds the source line
            print(NO_FONT, file=sys.stderr, flush=True)
        return "en"
    import matplotlib.pyplot as plt

    rest = [f for f in plt.rcParams["font.sans-serif"] if f != font]
    plt.rcParams["font.sans-serif"] = [font, *rest]
    plt.rcParams["font.family"] = ["sans-serif"]
    plt.rcParams["axes.unicode_minus"] = False
    return "zh"


def plain(text: str) -> str:
    """`text` with 万元 spelt "wan yuan" when no font can draw it (English figures only)."""
    return text if cjk_font() is not None else text.replace("万元", "wan yuan")
