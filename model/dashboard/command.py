"""`parksim dashboard [SCENARIO] [--port P]`: serve the dashboard on 127.0.0.1 until stopped.

`--screenshot PATH` instead writes the README's picture (model/dashboard/screenshot.py) and
stops: the one command that regenerates results/dashboard/screenshot.png.

The app runs in a child process (`solara run model.dashboard.app` through
model/dashboard/serve.py, which refuses requests whose Host header is not the address served;
production mode: no reloader) in its own session, so stopping it also stops its worker pool.
This process checks every input first (the scenario, the numbers, the save folder and the
screenshot's path; a bad one gives one line and exit status 2), waits until the server
answers, prints the address, and on Ctrl-C or SIGTERM stops the server: SIGTERM, then SIGKILL
to the whole group if it has not exited within a few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from model import outputs, resources, values
from model.dashboard import compute
from model.errors import InputError

HOST = "127.0.0.1"  # never 0.0.0.0: the dashboard is for the person at this machine
START_TIMEOUT = 180.0  # seconds for the server to answer (first start compiles nothing, but
# imports Solara, Mesa and the model, and a busy machine is slow)
STOP_TIMEOUT = 10.0


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default="baseline",
                   help="scenario TOML file or a name in scenarios/ (default: baseline)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    p.add_argument("--replications", "-R", type=int, default=compute.FAST_R,
                   help=f"replications of the first answer (default {compute.FAST_R})")
    p.add_argument("--idle-replications", type=int, default=compute.IDLE_R,
                   help=f"replications the answer is refined to when idle (default "
                        f"{compute.IDLE_R})")
    p.add_argument("--attribution-replications", type=int, default=compute.ATTR_R,
                   metavar="N", help=f"replications of what each clause group buys, computed on "
                   f"demand (default {compute.ATTR_R})")
    p.add_argument("--seed", type=int, default=None, help="root seed (default: the scenario's)")
    p.add_argument("--workers", type=int, default=2, help="engine processes (default 2)")
    p.add_argument("--save-dir", type=Path, default=Path("results/dashboard/scenarios"),
                   help="where 'Save as scenario' writes (default results/dashboard/scenarios)")
    p.add_argument("--overwrite", action="store_true",
                   help="let 'Save as scenario' replace a file of the same name, and "
                        "--screenshot replace an existing picture")
    p.add_argument("--screenshot", type=Path, default=None, metavar="PNG",
                   help="write a picture of the page after raising the P6c award to its top "
                        "(Chromium + Playwright), then stop")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _check_port(port: int) -> None:
    if not 0 < port < 65536:
        raise InputError("--port", "port", "a port number from 1 to 65535", port)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds it
        try:
            s.bind((HOST, port))
        except OSError:
            raise InputError("--port", "port", f"a free port on {HOST}", port) from None


def _msg(key: str, lang: str, **fmt) -> str:
    from model.dashboard.text import tr

    return tr(f"cmd_{key}", lang, **fmt)


def server_command(port: int) -> list[str]:
    return [sys.executable, "-m", "model.dashboard.serve", "model.dashboard.app", "--host", HOST,
            "--port", str(port), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def start(scenario: str | Path, *, port: int = 0, replications: int = compute.FAST_R,
          idle_replications: int = compute.IDLE_R, seed: int | None = None, workers: int = 2,
          save_dir: Path = Path("results/dashboard/scenarios"), overwrite: bool = False,
          log=None, announce=None, attribution_replications: int = compute.ATTR_R
          ) -> tuple[subprocess.Popen, str]:
    """Check the inputs, start the server, wait until it answers: (process, address).

    `announce(scenario_name)` is called once the inputs are known to be good."""
    from model.experiments import bytes_per_replication
    from model.scenario import load_scenario, scenario_path

    path = scenario_path(scenario).resolve()
    sc = load_scenario(path)
    values.whole("--replications", replications, 1)
    values.whole("--idle-replications", idle_replications, 1)
    values.seed("--seed", sc.seed if seed is None else seed)
    values.workers("--workers", workers)
    values.whole("--attribution-replications", attribution_replications, 1)
    # the server keeps a few arms (base, no policy, the setting) of idle_replications each
    resources.check("parksim dashboard", memory=resources.process_memory(workers)
                    + 4 * max(replications, idle_replications) * bytes_per_replication(sc),
                    seconds=0.0, advice="use fewer --replications / --idle-replications")
    save_dir = _check_save_dir(save_dir)
    if port:
        _check_port(port)
    else:
        port = free_port()
    if announce:
        announce(sc.name)
    env = {**os.environ, "PARKSIM_DASHBOARD_SCENARIO": str(path),
           "PARKSIM_DASHBOARD_R": str(replications),
           "PARKSIM_DASHBOARD_IDLE_R": str(idle_replications),
           "PARKSIM_DASHBOARD_ATTR_R": str(attribution_replications),
           "PARKSIM_DASHBOARD_SEED": str(sc.seed if seed is None else seed),
           "PARKSIM_DASHBOARD_WORKERS": str(workers),
           "PARKSIM_DASHBOARD_SAVE_DIR": str(save_dir),
           "PARKSIM_DASHBOARD_OVERWRITE": "1" if overwrite else "0",
           # offline and private: no telemetry; the cookie notice concerns https embedding
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "PYTHONWARNINGS": "ignore:Cookies with samesite:UserWarning"}
    proc = subprocess.Popen(server_command(port), env=env, start_new_session=True,
                            stdout=log, stderr=log)
    url = f"http://{HOST}:{port}/"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"the dashboard did not answer at {url} within "
                               f"{START_TIMEOUT:.0f} s")
        time.sleep(0.3)


def _check_save_dir(save_dir: str | Path) -> Path:
    """The folder 'Save as scenario' writes into: an existing folder you may write to, or a
    new one whose parent you may write to (created when the first file is saved)."""
    p = outputs.resolve(save_dir)
    if os.path.lexists(p):
        if not p.is_dir():
            raise InputError("--save-dir", "path", "a folder", f"{p} is not a folder")
        if not os.access(p, os.W_OK | os.X_OK):
            raise InputError("--save-dir", "path", "a folder you may write to",
                             f"{p} is not writable")
    else:
        outputs.prepare_file(p / "x.toml", option="--save-dir").discard()
    return p


def stop(proc: subprocess.Popen) -> None:
    """Stop the server and everything it started (its own process group).

    SIGTERM to the server first: it closes its connections and its worker pool; whatever
    is left of the group after STOP_TIMEOUT gets SIGKILL."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers left behind, if any
    proc.wait()
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:  # until the kernel has removed the whole group
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.1)


def _raise_exit(signum, frame):  # noqa: ARG001
    raise SystemExit(128 + signum)


def run(args: argparse.Namespace) -> int:
    """The `dashboard` command: serve until Ctrl-C or SIGTERM."""
    lang = getattr(args, "lang", "en")
    if args.screenshot is not None:
        return _screenshot(args, lang)
    proc, url = start(args.scenario, port=args.port, replications=args.replications,
                      idle_replications=args.idle_replications, seed=args.seed,
                      workers=args.workers, save_dir=args.save_dir, overwrite=args.overwrite,
                      attribution_replications=args.attribution_replications,
                      announce=lambda name: print(_msg("starting", lang, name=name),
                                                  flush=True))
    old = signal.signal(signal.SIGTERM, _raise_exit)
    try:
        print(_msg("ready", lang, url=url), flush=True)
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop(proc)
        signal.signal(signal.SIGTERM, old)
        print(_msg("stopped", lang), flush=True)
    return 0


def _screenshot(args: argparse.Namespace, lang: str) -> int:
    """`--screenshot PNG`: start the server, capture the page after the award move, stop."""
    from model.dashboard import screenshot

    place = outputs.prepare_file(args.screenshot, option="--screenshot",
                                 overwrite=args.overwrite, suffixes=(".png",))
    try:
        why = screenshot.browser_missing()
        if why:
            raise InputError("--screenshot", "browser", "Chromium and Playwright", why)
        proc, url = start(args.scenario, port=args.port, replications=args.replications,
                          idle_replications=args.idle_replications, seed=args.seed,
                          workers=args.workers, save_dir=args.save_dir,
                          log=subprocess.DEVNULL)
        try:
            move = screenshot.capture(place, url)
        finally:
            stop(proc)
    except BaseException:
        place.discard()
        raise
    print(_msg("screenshot", lang, path=args.screenshot, p0=move.p0, p1=move.p1), flush=True)
    return 0
