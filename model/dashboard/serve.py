"""The dashboard's server process: `solara run`, with a Host header check in front.

The server binds 127.0.0.1 only, but a web page the user visits could still reach it by DNS
rebinding (its own domain name made to resolve to 127.0.0.1): the browser then sends that
domain in the Host header. Starlette's TrustedHostMiddleware answers 400 to any request (HTTP
or websocket) whose Host is not the address served, so such a page gets nothing.

Solara builds its Starlette app when its server module is imported and uvicorn loads it by
name, so the middleware is put around the loaded app where uvicorn loads it
(`uvicorn.Config.load`), before the first request. `parksim dashboard` runs
`python -m model.dashboard.serve model.dashboard.app --host ... --port ...`: `solara run`'s
command line.
"""

from __future__ import annotations

import sys

ALLOWED_HOSTS = ("127.0.0.1", "localhost")  # the Host values (port aside) of the address served


def install_host_check(allowed_hosts=ALLOWED_HOSTS) -> None:
    """Wrap every app uvicorn loads in this process with TrustedHostMiddleware."""
    import uvicorn
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    load = uvicorn.Config.load
    if getattr(load, "parksim_host_check", False):
        return

    def load_with_host_check(self) -> None:
        load(self)
        self.loaded_app = TrustedHostMiddleware(self.loaded_app,
                                                allowed_hosts=list(allowed_hosts))

    load_with_host_check.parksim_host_check = True  # type: ignore[attr-defined]
    uvicorn.Config.load = load_with_host_check  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """`python -m model.dashboard.serve ARGS...`: `solara run ARGS...` behind the check."""
    args = list(sys.argv[1:] if argv is None else argv)
    install_host_check()
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", "run", *args]
    solara_main()


if __name__ == "__main__":
    main()
