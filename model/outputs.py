"""Where parksim writes: every output place checked before any work, written atomically, and
only parksim's own files ever replaced.

Budget planners and analysts run parksim next to their own documents, so a slip in `--out` or
in a scenario's name must never cost them a file. Every command that writes goes through this
module:

- `prepare_folder(out, kind, ...)` for a folder of results (`run`, `compare`, `sensitivity`,
  `calibrate`). Before any work it resolves the path and checks it: a folder that does not
  exist yet is created (with its missing parents) and proven writable; an existing one is used
  only when it is empty or holds parksim's own earlier output *of the same kind*, recognised by
  its manifest `run.json` (`"kind": ...`, and the list of files it wrote). Anything else (a
  file, a device, a folder of someone's documents, another kind of parksim output, a shipped
  reference folder reached by default rather than named) is refused with one line and exit
  status 2. Results are written into a hidden staging folder inside it and moved into place at
  the end; only files the old manifest lists are replaced or removed, never a file parksim did
  not write.
- `prepare_file(out, ...)` for one file (the `awards` ledger, the dashboard's screenshot and
  saved scenarios): an existing file is replaced only with `--overwrite`, and never when it is
  a folder, a device, a FIFO, a symlink or the command's own input. The file is written beside
  its final name and renamed over it, so a reader never sees half of it.
- `safe_cell` / `write_csv`: no CSV cell starts a spreadsheet formula; `csv_encoding`: a BOM
  for Chinese output.

Files follow the umask like any other program's (mkstemp's 0600 is widened to it).
docs/outputs.md is the user's description.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from model.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = "run.json"  # tracked: what fixes the numbers (model/run_record.py)
LOCAL = "run.local.json"  # untracked: what changes from run to run
JOURNAL = ".parksim-commit.json"  # present only while results are being moved into place
STAGING = ".parksim-tmp-"  # staging folders: .parksim-tmp-<pid>-<random>
RECORDS = (MANIFEST, LOCAL, JOURNAL)
# Reference outputs the repository ships: replaced only when named with --out (and holding
# their manifest), never reached through a default such as results/<scenario name>.
SHIPPED = ("results/baseline", "results/calibration", "results/sensitivity",
           "results/dashboard", "calibration")
KINDS = ("run", "compare", "sensitivity", "posterior", "validation")
# What a command keeps in its folder besides the results its manifest lists (never foreign).
STORE = {"sensitivity": ("chunks", "study.json", "failures.csv", "pilot", ".results-*")}
# Manifests written before run.json carried a kind: (file, keys it always had) per kind.
LEGACY = {
    "run": (MANIFEST, ("root_seed", "replications", "engine", "scenario")),
    "sensitivity": ("study.json", ("method", "scenario_digest", "factors")),
    "posterior": ("posterior.json", ("method", "settings", "priors")),
    "validation": ("validation.json", ("rule", "reproduced", "draws")),
}
LEGACY_SENSITIVITY_PROBLEM = ("problem.json", ("names", "bounds", "outputs"))
SHOW = 4  # entries named in a refusal


# -- spreadsheet safety ----------------------------------------------------------------------
FORMULA_START = ("=", "+", "@", "\t", "\r")
# A scenario name or clause id: letters, digits, _ and -, CJK ideographs; not starting with -.
IDENTIFIER = re.compile(r"[A-Za-z0-9_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
                        r"[A-Za-z0-9_\-\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{0,63}")
IDENTIFIER_TEXT = ("a name of letters, digits, _ and - (Chinese characters allowed), at most "
                   "64, not starting with -")


def is_identifier(text: object) -> bool:
    """Whether `text` may name a scenario or a clause: it becomes a folder name and a cell."""
    return isinstance(text, str) and IDENTIFIER.fullmatch(text) is not None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet shows it, never as a formula (OWASP CSV injection).

    Text starting with =, +, @, tab or CR, or with - followed by something that is not a
    number, gets a leading apostrophe: Excel, WPS and LibreOffice then show it as text and
    never evaluate it. Numbers, and text that is safe, are returned unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_START or (value[0] == "-" and not _number(value)):
        return "'" + value
    return value


def safe_frame(frame):
    """A copy of a DataFrame whose text cells pass through `safe_cell`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def csv_encoding(lang: str) -> str:
    """UTF-8 with a byte-order mark for Chinese output (`--lang zh`), so Excel on Chinese
    Windows opens the CSV as UTF-8 instead of the system's GBK; plain UTF-8 otherwise, what
    scripts expect (pandas reads both)."""
    return "utf-8-sig" if lang == "zh" else "utf-8"


def write_csv(frame, target, **kw) -> None:
    """`frame.to_csv(target, index=False, **kw)` with every text cell spreadsheet-safe."""
    safe_frame(frame).to_csv(target, index=False, **kw)


# -- modes -----------------------------------------------------------------------------------
def umask() -> int:
    """The process's umask (read without changing it where Linux allows)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    m = os.umask(0o022)
    os.umask(m)
    return m


def follow_umask(path: str | Path, directory: bool = False) -> None:
    """Give a file made by mkstemp/mkdtemp (0600/0700) the mode the umask gives new files."""
    os.chmod(path, (0o777 if directory else 0o666) & ~umask())


# -- small helpers ---------------------------------------------------------------------------
def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _staging_pid(name: str) -> int | None:
    m = re.fullmatch(re.escape(STAGING) + r"(\d+)-.*", name)
    return int(m.group(1)) if m else None


def _what(st: os.stat_result) -> str:
    m = st.st_mode
    return ("a symbolic link" if stat.S_ISLNK(m) else "a folder" if stat.S_ISDIR(m)
            else "a FIFO (named pipe)" if stat.S_ISFIFO(m) else "a device"
            if stat.S_ISCHR(m) or stat.S_ISBLK(m) else "a socket" if stat.S_ISSOCK(m)
            else "a file")


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(sorted(names)[:SHOW])
    return shown + (f" and {len(names) - SHOW} more" if len(names) > SHOW else "")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _nearest_existing(p: Path) -> Path:
    q = p
    while not os.path.lexists(q) and q != q.parent:
        q = q.parent
    return q


def _check_parent(p: Path, option: str) -> list[Path]:
    """The folders missing above `p`, after checking the nearest existing one can take them."""
    top = _nearest_existing(p.parent)
    st = os.stat(top) if os.path.exists(top) else None
    if st is None or not stat.S_ISDIR(st.st_mode):
        raise InputError(option, "path", "a path whose parent is a folder", f"{top} is "
                         f"{_what(os.lstat(top)) if os.path.lexists(top) else 'missing'}")
    if not os.access(top, os.W_OK | os.X_OK):
        raise InputError(option, "path", "a place you may write to",
                         f"{top} is not writable")
    missing, q = [], p.parent
    while q != top:
        missing.append(q)
        q = q.parent
    return missing[::-1]


def _ours(rel: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(rel, pat) for pat in patterns)


def _in_store(rel: str, store: Iterable[str]) -> bool:
    """Whether `rel` belongs to a command's store (chunks/..., study.json): kept, never
    listed as a result and never removed by a commit."""
    return _ours(rel.split("/")[0], store)


def _files_under(folder: Path) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for f in filenames:
            out.append(Path(dirpath, f).relative_to(folder).as_posix())
    return sorted(out)


def _read_json(path: Path) -> dict | None:
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > 50_000_000:
            return None
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return d if isinstance(d, dict) else None


# -- what a folder holds ---------------------------------------------------------------------
@dataclass(frozen=True)
class Found:
    """What parksim recognises in an existing folder: the kind of output and its files."""

    kind: str | None  # None: no parksim manifest
    files: frozenset[str] = frozenset()  # results the manifest lists (relative paths)
    legacy: bool = False  # a manifest written before run.json carried a kind


def recognise(folder: Path, patterns: Sequence[str] = ()) -> Found:
    """The parksim output in `folder`: its manifest (run.json with a kind), an interrupted
    commit's journal, or a manifest from before kinds (then its files are those matching the
    command's `patterns` that exist)."""
    journal = _read_json(folder / JOURNAL)
    if journal and journal.get("kind") in KINDS:
        return Found(journal["kind"], frozenset(journal.get("old", []))
                     | frozenset(journal.get("new", [])))
    man = _read_json(folder / MANIFEST)
    if man and man.get("kind") in KINDS and isinstance(man.get("files"), list):
        return Found(man["kind"], frozenset(str(f) for f in man["files"]))
    existing = [f for f in _files_under(folder) if _ours(f, patterns)] if patterns else []
    for kind, (name, keys) in LEGACY.items():
        d = man if name == MANIFEST else _read_json(folder / name)
        if d and all(k in d for k in keys) and "kind" not in d:
            return Found(kind, frozenset(existing) | {name}, legacy=True)
    name, keys = LEGACY_SENSITIVITY_PROBLEM
    d = _read_json(folder / name)
    if d and all(k in d for k in keys):
        return Found("sensitivity", frozenset(existing) | {name}, legacy=True)
    return Found(None)


# -- folders ---------------------------------------------------------------------------------
@dataclass
class OutputFolder:
    """A checked output folder; results are staged inside it and moved in by `commit`."""

    path: Path
    kind: str
    old: frozenset[str]  # files of parksim's earlier output here: the only ones replaced
    created: list[Path] = field(default_factory=list)  # folders this command made
    staging: Path | None = None
    store: tuple[str, ...] = ()

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()

    def discard(self) -> None:
        """Remove the staging folder, and the folders this command created if still empty."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        for d in reversed(self.created):
            with contextlib.suppress(OSError):
                d.rmdir()  # only when empty: a store or a user's file keeps it

    def commit(self, manifest: dict, local: dict) -> list[str]:
        """Move the staged results into place; write run.json and run.local.json.

        Order: a journal naming the old and new files, run.json removed, each new file
        renamed over its old one, old files no longer written removed, then run.json (with
        the list of files) and run.local.json, and the journal goes. A kill in between leaves
        a folder without run.json (so it does not claim to be complete) whose journal lets
        the next run recognise and repair it. Returns the files written."""
        if self.staging is None:
            raise RuntimeError("commit without a staging folder")
        new = [f for f in _files_under(self.staging) if f not in RECORDS]
        for rel in new:  # declared `writes` were checked before the work; this holds for all
            dst = self.path / rel
            if (os.path.lexists(dst) and (rel not in self.old or os.path.isdir(dst))) or (
                    os.path.lexists(dst.parent) and not os.path.isdir(dst.parent)):
                raise InputError(str(self.path), rel, "a file parksim wrote before (it would "
                                 "be replaced); choose another folder", "something parksim "
                                 "did not write")
        _atomic_json(self.path / JOURNAL, {"kind": self.kind, "pid": os.getpid(),
                                           "old": sorted(self.old), "new": new})
        (self.path / MANIFEST).unlink(missing_ok=True)
        for rel in new:
            dst = self.path / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / rel, dst)
        for rel in sorted(self.old - set(new) - set(RECORDS)):
            if _in_store(rel, self.store):
                continue
            old = self.path / rel
            if old.is_file() or old.is_symlink():
                old.unlink()
            with contextlib.suppress(OSError):  # a sub-folder left empty
                for parent in old.relative_to(self.path).parents:
                    if str(parent) != ".":
                        (self.path / parent).rmdir()
        for stale in self.path.glob(".results-*"):  # temp folders of an older parksim
            if self.kind == "sensitivity" and stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        _atomic_json(self.path / MANIFEST, {**manifest, "kind": self.kind, "files": new})
        _atomic_json(self.path / LOCAL, local)
        (self.path / JOURNAL).unlink(missing_ok=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None
        self.created = []
        return new


def _atomic_json(path: Path, data: dict) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomic(path, lambda f: f.write(text.encode("utf-8")))


def write_atomic(path: Path, write: Callable[[Any], None]) -> None:
    """Write a file beside `path` (binary handle), give it the umask's mode, rename it over."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.parksim-{os.getpid()}-",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        follow_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def resolve(out: str | Path) -> Path:
    """An absolute path with `~`, `.` and `..` resolved (symlinks in folders followed), so
    `--out .`, relative and absolute forms name the same place."""
    p = Path(os.path.expanduser(str(out)))
    if str(out).strip() == "":
        raise InputError("--out", "path", "a folder or file name", str(out))
    parent = Path(os.path.realpath(p.parent if p.name not in ("", ".", "..") else p))
    return parent if p.name in ("", ".", "..") else parent / p.name


def _inside(p: Path, folder: Path) -> bool:
    return p == folder or folder in p.parents


def prepare_folder(out: str | Path, kind: str, *, option: str = "--out",
                   writes: Sequence[str] = (), inputs: Iterable[str | Path | None] = (),
                   explicit: bool = True) -> OutputFolder:
    """Check an output folder before any work and make it ready (see the module docstring).

    `writes`: names or glob patterns of the files the command writes (relative to the
    folder), to refuse replacing a file parksim did not write and to recognise output from
    before manifests carried a kind. `inputs`: files the command reads, never overwritten.
    `explicit`: the user named the folder (`--out`); a default never reaches a shipped one."""
    if kind not in KINDS:
        raise ValueError(f"unknown output kind {kind!r}")
    p = Path(os.path.realpath(os.path.expanduser(str(out)))) if str(out).strip() else None
    if p is None:
        raise InputError(option, "path", "a folder name", str(out))
    given = Path(os.path.abspath(os.path.expanduser(str(out))))
    if os.path.islink(given) and not os.path.exists(given):
        raise InputError(option, "path", "a folder (not a link to a missing place)",
                         f"{given} is a dangling symbolic link")
    if not explicit and any(p == ROOT / s for s in SHIPPED):
        raise InputError(option, "path", "a folder other than a shipped reference folder "
                         f"({p.relative_to(ROOT)} is regenerated only when named with "
                         f"{option}); give {option} DIR", str(p))
    store = STORE.get(kind, ())
    created: list[Path] = []
    old: frozenset[str] = frozenset()
    if os.path.lexists(p):
        st = os.stat(p)
        if not stat.S_ISDIR(st.st_mode):
            raise InputError(option, "path", f"a folder for the {kind} results (a new name "
                             "is created)", f"{p} is {_what(st)}")
        if not os.access(p, os.R_OK | os.W_OK | os.X_OK):
            raise InputError(option, "path", "a folder you may write to",
                             f"{p} is not writable")
        _clean_staging(p, option)
        names = [n for n in os.listdir(p) if _staging_pid(n) is None]
        found = recognise(p, writes)
        if found.kind is None and names:
            raise InputError(option, "path", f"an empty folder or an earlier parksim {kind} "
                             f"output (with its {MANIFEST}); choose a new folder name (it is "
                             "created) or empty this one", f"{p} holds {len(names)} "
                             f"entr{'y' if len(names) == 1 else 'ies'} parksim did not write: "
                             f"{_listing(names)}")
        if found.kind is not None and found.kind != kind:
            raise InputError(option, "path", f"a folder of its own for the {kind} results",
                             f"{p} holds a parksim {found.kind} output")
        old = found.files
        for rel in _files_under(p):
            if (_ours(rel, writes) and rel not in old and not _in_store(rel, store)
                    and _staging_pid(rel.split("/")[0]) is None and rel not in RECORDS):
                raise InputError(option, "path", "a folder where parksim would not replace "
                                 "a file it did not write; choose another folder",
                                 f"{p / rel} exists and is not in {MANIFEST}")
    else:
        _make_folders([*_check_parent(p, option), p], created, option)
    for src in inputs:
        if src is None:
            continue
        q = Path(os.path.realpath(os.path.expanduser(str(src))))
        if _inside(q, p) and (_ours(q.relative_to(p).as_posix(), writes)
                              or q.relative_to(p).as_posix() in RECORDS):
            for d in reversed(created):
                with contextlib.suppress(OSError):
                    d.rmdir()
            raise InputError(option, "path", "a folder that does not hold this command's "
                             "own input", f"{q} would be overwritten")
    place = OutputFolder(p, kind, old, created, store=store)
    try:
        place.staging = Path(tempfile.mkdtemp(dir=p, prefix=f"{STAGING}{os.getpid()}-"))
    except OSError as e:
        place.discard()
        raise InputError(option, "path", "a folder you may write to",
                         f"{p}: {e.strerror}") from None
    return place


def _make_folders(folders: Sequence[Path], created: list[Path], option: str) -> None:
    """mkdir each folder in turn, recording it in `created`; on failure remove what was made
    and refuse (a read-only file system, a full disk, a name the system does not take)."""
    for d in folders:
        try:
            d.mkdir()
        except OSError as e:
            for made in reversed(created):
                with contextlib.suppress(OSError):
                    made.rmdir()
            created.clear()
            raise InputError(option, "path", "a place where a folder can be created",
                             f"cannot create {d}: {e.strerror or e}") from None
        created.append(d)


def _clean_staging(folder: Path, option: str) -> None:
    """Remove staging folders of parksim runs killed outright; refuse one still running."""
    for name in os.listdir(folder):
        pid = _staging_pid(name)
        if pid is None:
            continue
        if _alive(pid) and pid != os.getpid():
            raise InputError(option, "path", "a folder no other parksim is writing to",
                             f"{folder}: process {pid} is writing into it")
        shutil.rmtree(folder / name, ignore_errors=True)
    journal = _read_json(folder / JOURNAL)
    if journal and isinstance(journal.get("pid"), int) and _alive(journal["pid"]) \
            and journal["pid"] != os.getpid():
        raise InputError(option, "path", "a folder no other parksim is writing to",
                         f"{folder}: process {journal['pid']} is writing into it")


# -- single files ----------------------------------------------------------------------------
@dataclass
class OutputFile:
    """A checked output file: `write` puts its bytes beside it and renames them over it."""

    path: Path
    option: str
    overwrite: bool
    inputs: tuple[Path, ...] = ()
    created: list[Path] = field(default_factory=list)

    def check(self) -> None:
        """The destination's checks (again right before the rename: it may have changed)."""
        p = self.path
        if os.path.lexists(p):
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):
                raise InputError(self.option, "path", "a file path (an existing regular "
                                 "file is replaced only with --overwrite)",
                                 f"{p} is {_what(st)}")
            for q in self.inputs:
                if _same_file(p, q):
                    raise InputError(self.option, "path", "a file other than this "
                                     "command's own input", f"{p} is the input {q}")
            if not self.overwrite:
                raise InputError(self.option, "path", "a new file name, or --overwrite to "
                                 "replace the existing file", f"{p} exists")
            if not os.access(p.parent, os.W_OK | os.X_OK):
                raise InputError(self.option, "path", "a place you may write to",
                                 f"{p.parent} is not writable")

    def write(self, write: Callable[[Any], None]) -> Path:
        """Call `write(binary_handle)` on a temp file beside the path, then rename it over."""
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.parksim-"
                                   f"{os.getpid()}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            self.commit(Path(tmp))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return self.path

    def temp(self, suffix: str = "") -> Path:
        """A temp path beside the destination, for writers that want a file name."""
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.parksim-"
                                   f"{os.getpid()}-", suffix=suffix + ".tmp")
        os.close(fd)
        return Path(tmp)

    def commit(self, tmp: Path) -> None:
        """Rename a finished temp file over the destination (checked again first)."""
        self.check()
        follow_umask(tmp)
        os.replace(tmp, self.path)
        self.created = []

    def discard(self) -> None:
        for d in reversed(self.created):
            with contextlib.suppress(OSError):
                d.rmdir()


def prepare_file(out: str | Path, *, option: str = "--out", overwrite: bool = False,
                 inputs: Iterable[str | Path | None] = (), suffixes: Sequence[str] = (),
                 create_parents: bool = True) -> OutputFile:
    """Check an output file before any work (see the module docstring); its missing parent
    folders are created, or with `create_parents=False` refused."""
    raw = str(out)
    if not raw.strip() or raw.endswith(("/", os.sep)):
        raise InputError(option, "path", "a file name", raw)
    p = resolve(out)
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(option, "path", "a file name ending in " + " or ".join(suffixes),
                         str(out))
    ins = tuple(Path(os.path.realpath(os.path.expanduser(str(q)))) for q in inputs
                if q is not None)
    place = OutputFile(p, option, overwrite, ins)
    missing = _check_parent(p, option)
    if missing and not create_parents:
        raise InputError(option, "path", "a file in an existing folder", str(missing[0]))
    _make_folders(missing, place.created, option)
    for q in ins:
        if q == p:
            place.discard()
            raise InputError(option, "path", "a file other than this command's own input",
                             f"{p} is the input {q}")
    try:
        place.check()
    except InputError:
        place.discard()
        raise
    _clean_stale_temps(p)
    return place


def _clean_stale_temps(p: Path) -> None:
    """Temp files of earlier writes to `p` whose process was killed outright."""
    pat = re.compile(re.escape(f".{p.name}.parksim-") + r"(\d+)-.*\.tmp")
    with contextlib.suppress(OSError):
        for name in os.listdir(p.parent):
            m = pat.fullmatch(name)
            if m and not _alive(int(m.group(1))):
                with contextlib.suppress(OSError):
                    (p.parent / name).unlink()
