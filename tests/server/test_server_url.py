"""The address a running server announces, records and puts into handshakes and links."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatescan.server import server_url
from gatescan.server.settings import load_settings
from tests.server.helpers import T0

SCRIPT = Path(sys.executable).parent / "gatescan-server"
DEMO_SCRIPT = Path(sys.executable).parent / "gatescan-demo"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "GATESCAN_SERVER_URL": ""})


def _demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`gatescan-demo ARGS`: the demo event and its simulated phones."""
    return subprocess.run([str(DEMO_SCRIPT), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[Path, int, subprocess.Popen[str]]]:
    data = tmp_path / "issuer"
    assert _demo("--data", str(data), "event", "--tickets", "8", "--at", str(T0)).returncode == 0
    port = _free_port()
    proc = subprocess.Popen([str(SCRIPT), "--data", str(data), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "GATESCAN_SERVER_URL": ""})
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).is_success:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
        time.sleep(0.1)
    try:
        yield data, port, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)


def test_the_banner_address_leads_somewhere_and_codes_carry_the_real_port(
        serving: tuple[Path, int, subprocess.Popen[str]]) -> None:
    data, port, proc = serving
    home = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, timeout=10)
    assert home.status_code == 200 and "/dashboard/login" in str(home.url)

    added = _run("--data", str(data), "device", "add", "Gate 1 Pi", "--gate", "Gate 1",
                 "--json")
    assert added.returncode == 0, added.stderr
    device = json.loads(added.stdout)
    assert device["server_url"] == f"http://127.0.0.1:{port}"
    assert f"127.0.0.1:{port}" in device["handshake"] and "8080" not in device["handshake"]
    assert "loopback" in device["warning"]
    text = _run("--data", str(data), "device", "add", "Gate 2 Pi", "--gate", "Gate 2")
    assert "warning:" in text.stderr and "loopback" in text.stderr

    report = json.loads(_demo("--data", str(data), "event", "--json").stdout)
    link = _run("--data", str(data), "ticket", "link", report["special"]["vip"], "--json")
    assert json.loads(link.stdout)["url"].startswith(f"http://127.0.0.1:{port}/wallet/")

    lan = _run("--data", str(data), "device", "add", "Gate 3 Pi", "--gate", "Gate 1",
               "--url", "http://10.1.2.3:8443", "--json")
    assert json.loads(lan.stdout)["warning"] is None

    proc.send_signal(signal.SIGTERM)
    _, banner = proc.communicate(timeout=15)
    assert f"GateScan server: http://127.0.0.1:{port}/" in banner


@pytest.mark.parametrize("url", ["not a url", "ftp://x", "http://", "http://h:99999",
                                 "http://h/?a=1"])
def test_a_malformed_url_is_a_usage_error(tmp_path: Path, url: str) -> None:
    data = str(tmp_path)
    assert _demo("--data", data, "event", "--tickets", "8", "--at", str(T0)).returncode == 0
    out = _run("--data", data, "device", "add", "Pi", "--gate", "Gate 1", "--url", url)
    assert out.returncode == 2 and "--url" in out.stderr and out.stdout == ""


def test_without_a_started_server_the_fallback_is_said(tmp_path: Path) -> None:
    chosen = server_url.resolve(load_settings(tmp_path, {}), None)
    assert chosen.source == "fallback" and "gatescan-server serve" in (chosen.warning or "")


@given(st.text(max_size=60))
def test_check_url_accepts_only_http_addresses(text: str) -> None:
    try:
        url = server_url.check_url(text)
    except server_url.BadServerUrl:
        return
    assert url.startswith(("http://", "https://")) and not url.endswith("/")
    assert server_url.check_url(url) == url
