"""The front door's nginx: the config renders and `nginx -t` accepts it; the real nginx routes each prefix with
the prefix kept and the forwarding headers set, streams unbuffered, and says in Indonesian which part is down."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from kinerja_local import frontdoor
from kinerja_local.config import SERVICES, Paths, StackError
from kinerja_local.state import State

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                reason="nginx is not installed (apt-get install nginx)")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _Echo(BaseHTTPRequestHandler):
    """A stand-in upstream that answers with what it received (path and forwarding headers), or a slow stream."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.endswith("/stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"data: satu\n\n")
            self.wfile.flush()
            threading.Event().wait(3)  # a buffering proxy would hold the first event back until the end
            self.wfile.write(b"data: dua\n\n")
            return
        body = json.dumps({"path": self.path, **{h: self.headers.get(h, "") for h in (
            "Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-Id")}}).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _upstream() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()


def test_config_renders_and_nginx_accepts_it(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    conf = frontdoor.write(p, 18080, {svc: 10000 + i for i, svc in enumerate(SERVICES)})
    text = conf.read_text()
    frontdoor.check(p)  # raises with nginx's words if refused
    for svc in SERVICES:
        assert f"location /{svc}/ {{" in text and f"proxy_pass http://kinerja_{svc};" in text
    assert "proxy_buffering off;" in text and "proxy_read_timeout 1h;" in text
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in text and "X-Forwarded-Proto $scheme" in text
    assert "gzip_types text/css text/javascript" in text  # Starlette serves .js as text/javascript
    assert '"$request_method $uri"' in text  # the access log never records a query string (it may hold a NIP)
    page = (tmp_path / "nginx" / "html" / "_kinerja" / "activity.html").read_text()
    assert "Kegiatan harian dan kehadiran sedang tidak tersedia" in page and 'href="/feedback/"' in page


def test_a_broken_config_is_refused_with_nginx_s_reason(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    frontdoor.write(p, 18080, dict.fromkeys(SERVICES, 10000))
    conf = tmp_path / "nginx" / "nginx.conf"
    conf.write_text(conf.read_text().replace("server_tokens off;", "server_tokens maybe;"))
    with pytest.raises(StackError) as e:
        frontdoor.check(p)
    assert 'invalid value "maybe"' in (e.value.details or "")


async def test_nginx_routes_each_prefix_streams_and_names_the_part_that_is_down(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    down = _free_port()  # nothing listens here: "notify" is down
    with _upstream() as port:
        upstreams = dict.fromkeys(SERVICES, port) | {"notify": down}
        fd_port, started = frontdoor.ensure(p, State(p), upstreams, lambda _m: None)
        try:
            assert started and frontdoor.running_pid(p) is not None
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{fd_port}", timeout=10) as client:
                root = await client.get("/")
                assert (root.status_code, root.headers["location"]) == (302, frontdoor.LANDING)
                assert (await client.get("/warga")).headers["location"] == frontdoor.PUBLIC_HOME
                for svc in ("activity", "evaluation", "feedback"):
                    seen = (await client.get(f"/{svc}/halaman?nip=199001012020121001")).json()
                    assert seen["path"] == f"/{svc}/halaman?nip=199001012020121001"  # prefix kept
                    assert seen["X-Forwarded-For"] == "127.0.0.1" and seen["X-Forwarded-Proto"] == "http"
                    assert seen["X-Forwarded-Host"] == f"127.0.0.1:{fd_port}" and len(seen["X-Request-Id"]) == 32
                assert (await client.get("/activity")).headers["location"].endswith("/activity/")

                # each event arrives when the upstream sends it (3 s apart), not all at the end: nothing buffers
                arrivals: list[tuple[float, str]] = []
                async with client.stream("GET", "/activity/tim/stream") as r:
                    async for line in r.aiter_lines():
                        if line:
                            arrivals.append((time.monotonic(), line))
                assert [x for _, x in arrivals] == ["data: satu", "data: dua"]
                assert arrivals[1][0] - arrivals[0][0] > 2.0, arrivals

                gone = await client.get("/notify/", headers={"Accept": "text/html"})
                assert gone.status_code == 502
                assert "Bagian Notifikasi sedang tidak tersedia" in gone.text
                assert 'href="/evaluation/"' in gone.text  # the other parts still work
                assert (await client.get("/evaluation/")).status_code == 200
            log = frontdoor.access_log(p).read_text()
            assert "/activity/halaman" in log and "199001012020121001" not in log

            # a second `up` reuses the running nginx and reloads it with new upstreams
            again, started_again = frontdoor.ensure(p, State(p), upstreams | {"notify": port}, lambda _m: None)
            assert (again, started_again) == (fd_port, False)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{fd_port}", timeout=10) as client:

                async def healed() -> bool:
                    return (await client.get("/notify/")).status_code == 200

                for _ in range(50):
                    if await healed():
                        break
                    await asyncio.sleep(0.2)
                assert await healed()
        finally:
            assert frontdoor.stop(p)
        assert frontdoor.running_pid(p) is None
