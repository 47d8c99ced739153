"""kinerja-demo: load Provinsi Jambi into the running local stack through the front door, then print the logins.

kinerja-demo                 # ~5,000 ASN in 11 regencies/cities (a few minutes)
kinerja-demo --asn 300       # smaller
kinerja-demo --scale 70000   # benchmark size
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from kinerja_shared.settings import ServiceSettings

from ..config import HOST, StackError, paths
from ..state import State
from .client import Api
from .loader import Loader, Options, Summary

console = Console(highlight=False, soft_wrap=True)

USERS_FILE = "demo-users.json"  # next to the dev issuer's key: kinerja_shared.devissuer reads it there


def _defaults() -> tuple[str | None, Path]:
    p = paths()
    url = None
    if p.state_file.exists():
        port = State(p).ports.get("frontdoor")
        url = f"http://{HOST}:{port}" if port else None
    return url, p.keys / "dev-issuer.pem"


def print_logins(url: str, s: Summary) -> None:
    console.print(f"\n[green]Demo siap[/]  [bold]{url}/[/]")
    console.print(
        f"  staf (beranda per peran): {url}/evaluation/   ·   warga: {url}/feedback/   ·   "
        f"masuk: {url}/evaluation/dev/login"
    )
    console.print("  Masuk sebagai (pilih di halaman masuk):")
    for u in s.demo_users:
        console.print(f"   - [bold]{u['label']}[/]: {u['name']} — {u['about']}")
    console.print(
        f"  {s.regencies} kabupaten/kota · {s.asn} ASN · {s.units} unit · {s.skp_approved} SKP disetujui · "
        f"{s.activities} kegiatan ({s.verified} diverifikasi) · {s.attendance_rows} pindaian kehadiran · "
        f"{s.realisasi} realisasi · {s.evaluations} penilaian · {s.surveys} survei · {s.complaints} pengaduan · "
        f"{s.peer_ratings} penilaian 360"
    )
    for note in s.skipped:
        console.print(f"  [yellow]dilewati[/] {note}")


async def load(url: str, key: Path, opts: Options, concurrency: int, quiet: bool = False) -> Summary:
    settings = ServiceSettings()
    with Progress(
        TextColumn("{task.description:<42}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=quiet, transient=False,
    ) as bar:  # fmt: skip
        tasks: dict[str, TaskID] = {}

        def progress(step: str, advance: int, total: int | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            elif total is not None:
                bar.update(tasks[step], total=total)
            if advance:
                bar.advance(tasks[step], advance)
            if total == 0:
                bar.update(tasks[step], total=1, completed=1)

        async with Api(url, key, settings.jwt_issuer, settings.jwt_audience, concurrency=concurrency) as api:
            return await Loader(api, opts, progress).run()


def main(argv: list[str] | None = None) -> int:
    url_default, key_default = _defaults()
    ap = argparse.ArgumentParser(prog="kinerja-demo", description=__doc__.splitlines()[0])
    ap.add_argument("--asn", type=int, default=5000, help="synthetic ASN in the province (default 5,000)")
    ap.add_argument("--scale", type=int, help="benchmark size, e.g. 70000 (same as --asn N)")
    ap.add_argument("--regencies", type=int, default=11, choices=range(1, 12), metavar="1..11")
    ap.add_argument("--url", default=os.environ.get("KINERJA_URL", url_default),
                    help="the front door (default: from the local stack's state)")  # fmt: skip
    ap.add_argument("--key", type=Path, default=Path(os.environ.get("DEV_ISSUER_KEY_FILE", key_default)))
    ap.add_argument("--concurrency", type=int, default=12, help="requests in flight (default 12)")
    ap.add_argument("--detail", type=float, default=0.1, help="share of ASN with realisasi, 360 and penilaian")
    ap.add_argument("--attendance-months", type=int, default=1, help="months of fingerprint scans (default 1)")
    args = ap.parse_args(argv)
    if not args.url:
        console.print("[red]error:[/] no front door known — run `kinerja-local up` first (or give --url)")
        return 1
    if not args.key.exists():
        console.print(f"[red]error:[/] no dev issuer key at {args.key} — run `kinerja-local up` first (or --key)")
        return 1
    n = args.scale or args.asn
    opts = Options(asn=n, regencies=args.regencies, detail_share=args.detail, users_file=args.key.parent / USERS_FILE,
                   attendance_months=args.attendance_months)  # fmt: skip
    started = time.monotonic()
    try:
        summary = asyncio.run(load(args.url.rstrip("/"), args.key, opts, args.concurrency))
    except (StackError, TimeoutError) as e:
        console.print(f"[red]error:[/] {e}")
        return 1
    except KeyboardInterrupt:
        console.print("[red]interrupted[/] (re-running continues where it stopped)")
        return 130
    print_logins(args.url.rstrip("/"), summary)
    console.print(f"[dim]{time.monotonic() - started:.0f} s[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
