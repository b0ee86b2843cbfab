"""The console scripts' entry: a missing extra is one sentence, not a traceback.

`gatescan` needs `pip install "gatescan[gate]"`, `gatescan-server` needs
`"gatescan[server]"`, `gatescan-demo` both. Run on an install without them,
the command says which extra to install and exits with status 2.
"""

from __future__ import annotations

import sys

# The third-party modules each extra brings (top-level import names).
EXTRA_MODULES: dict[str, frozenset[str]] = {
    "gate": frozenset({"numpy", "cv2", "pyzbar", "zxingcpp", "httpx", "gpiozero", "serial",
                       "PySide6"}),
    "server": frozenset({"fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "segno",
                         "jinja2", "argon2", "swagger_ui_bundle"}),
}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """The extra that would have brought the module `exc` could not find, if any."""
    top = (exc.name or "").split(".")[0]
    return next((extra for extra, names in EXTRA_MODULES.items() if top in names), None)


def explain(exc: ModuleNotFoundError, prog: str) -> None:
    """Exit 2 with one sentence when `exc` is an extra's missing module; else re-raise it."""
    extra = missing_extra(exc)
    if extra is None:
        raise exc
    sys.stderr.write(f"{prog}: this install lacks the {extra!r} extra ({exc.name} is "
                     f"missing): pip install \"gatescan[{extra}]\"\n")
    raise SystemExit(2) from None
