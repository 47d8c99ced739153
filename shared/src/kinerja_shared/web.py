"""Server-rendered pages: the Jinja2 environment (service over shared templates), Indonesian formatting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)

SHARED_DIR: Final = Path(__file__).parent
SHARED_TEMPLATES: Final = SHARED_DIR / "templates"
STATIC_DIR: Final = SHARED_DIR / "static"
JAKARTA: Final = ZoneInfo("Asia/Jakarta")
BULAN: Final = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def _group(digits: str) -> str:
    # Indonesian style: "." groups thousands and "," separates decimals, the reverse of Python's format
    return digits.replace(",", "\0").replace(".", ",").replace("\0", ".")


def rupiah(value: Decimal | int) -> str:
    """Money as shown to people: whole rupiah, half up, "." between thousands → "Rp 1.234.567"."""
    amount = Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    text = _group(f"{abs(amount):,f}")
    return f"-Rp {text}" if amount < 0 else f"Rp {text}"


def angka(value: Decimal | int, places: int | None = None) -> str:
    """A number with "," as decimal separator → "87,25"; `places` rounds half up, else digits stay."""
    number = Decimal(value)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _group(f"{number:,f}")


def _jakarta(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        # a naive datetime is a bug upstream (times are aware, STYLE.md); guessing the zone would hide it
        raise ValueError(f"expected an aware datetime, got naive {value.isoformat()}")
    return value.astimezone(JAKARTA)


def tanggal(value: date) -> str:
    """A date in Indonesian → "29 November 2026"; an aware datetime is first taken to Asia/Jakarta."""
    day = _jakarta(value).date() if isinstance(value, datetime) else value
    return f"{day.day} {BULAN[day.month - 1]} {day.year}"


def waktu(value: datetime) -> str:
    """Clock time in Asia/Jakarta → "14:05 WIB"."""
    local = _jakarta(value)
    return f"{local:%H:%M} WIB"


FILTERS: Final = {"rupiah": rupiah, "angka": angka, "tanggal": tanggal, "waktu": waktu}


def app_path(request: Request, path: str = "/") -> str:
    """`path` under the app's root path (e.g. "/evaluation/docs"), as the browser must ask for it."""
    root = str(request.scope.get("app_root_path", request.scope.get("root_path", ""))).rstrip("/")
    return root + (path if path.startswith("/") else "/" + path)


def route_path(request: Request) -> str:
    """The request path without the root path, whether or not the proxy stripped the prefix."""
    path = str(request.scope["path"])
    root = str(request.scope.get("root_path", "")).rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path or "/"


def static_path(request: Request, path: str) -> str:
    """URL path of a file under kinerja_shared/static, prefix-aware and without scheme or host."""
    return app_path(request, "/static/" + path.lstrip("/"))


def path_for(request: Request, name: str, **params: Any) -> str:
    """URL path of a named route, prefix-aware; a path keeps pages working whatever host the proxy shows."""
    return request.url_for(name, **params).path


@pass_context
def _static_url(context: Any, path: str) -> str:
    return static_path(context["request"], path)


@pass_context
def _app_path(context: Any, path: str = "/") -> str:
    return app_path(context["request"], path)


@pass_context
def _path_for(context: Any, name: str, /, **params: Any) -> str:
    return path_for(context["request"], name, **params)


def _session_links(request: Request) -> dict[str, Any]:
    # processors run after the page's own context, so these names are kept apart from what pages pass
    state = request.app.state
    here = quote(app_path(request, route_path(request)), safe="/")
    login_route: str | None = getattr(state, "login_route", None)
    logout_route: str | None = getattr(state, "logout_route", None)
    return {
        "session_principal": getattr(request.state, "principal", None),
        "login_url": f"{path_for(request, login_route)}?next={here}" if login_route else None,
        "logout_url": path_for(request, logout_route) if logout_route else None,
    }


def templates(service_dirs: Sequence[Path] = ()) -> Jinja2Templates:
    """Templates from the service's own dirs first, then shared ones ("shared/x.html" is always shared)."""
    loader = ChoiceLoader(
        [
            *(FileSystemLoader(d) for d in service_dirs),
            FileSystemLoader(SHARED_TEMPLATES),
            # lets a service that overrides base.html still extend the shared one
            PrefixLoader({"shared": FileSystemLoader(SHARED_TEMPLATES)}),
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(("html", "xml"), default_for_string=True),
        # a misspelt variable fails the page test instead of rendering an empty cell in production
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(static_url=_static_url, app_path=_app_path, path_for=_path_for)
    return Jinja2Templates(env=env, context_processors=[_session_links])
