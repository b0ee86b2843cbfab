"""The wallet in a real browser: headless Debian Chromium (Playwright) against the real server.

A phone claims a ticket, its screenshot is decoded by the scanner's own decoder and
admitted by a gate's ledger; a screenshot two periods old is refused as stale; the
page works offline; after a transfer the first phone's code is refused as superseded
once the gate has synced, and the friend's phone is admitted. The event rotates every
3 s, so two periods pass in seconds. Set GATESCAN_WALLET_SHOTS=DIR to keep the
screenshots.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gatescan.gate.camera.decoders import Inversion, make_decoder
from gatescan.gate.camera.images import load_image
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.verify.view import GateContext
from gatescan.protocol.policy import Gate, TicketType, TimeSlot
from gatescan.protocol.token import Token, parse_token
from gatescan.protocol.verdict import Outcome
from gatescan.server import devices, issuer
from gatescan.server.settings import load_settings
from gatescan.server.store import IssuerStore
from gatescan.server.wallet import links
from tests.server.backends import in_ci
from tests.server.client import Gate as GateClient
from tests.server.live import serving

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PERIOD = 3
VECTORS = Path(__file__).parents[1] / "protocol" / "vectors.json"
GATE = GateContext("Gate 1", device_id="gate-1")


def _playwright() -> Any:
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem is None and not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (apt-get install chromium)"
    if problem is not None:
        if in_ci():
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
    return sync_playwright


@dataclass
class Venue:
    """The live server, its event, two claim links and an enrolled gate with its ledger."""

    url: str
    store: IssuerStore
    event_id: int
    link: str
    gate: GateClient
    ledger: Ledger
    shots: Path


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[Venue]:
    """A fresh server with a 3-second rotation event; the gate has loaded its manifest."""
    settings = load_settings(tmp_path / "data", {})
    now = int(time.time())
    with IssuerStore.open(settings) as store, serving(settings, store) as url:
        event_id = issuer.create_event(
            store, "Spring Concert 春季音乐会", gates=[Gate("Gate 1")],
            ticket_types=[TicketType(1, "Pair", max_entries=2,
                                     slot=TimeSlot(now - 3600, now + 3 * 3600, 600))],
            rotation_period=PERIOD, tz_offset_minutes=480).event_id
        _, link = links.issue_with_link(store, event_id, 1, now - 86400, now + 86400, "C-12",
                                        now=now)
        device = devices.add_device(store, event_id, "north", "Gate 1", ttl=600, now=now)
        with GateClient(url, device.code) as gate, Ledger(tmp_path / "gate.db") as ledger:
            ledger.import_manifest(io.BytesIO(gate.manifest()))
            yield Venue(url, store, event_id, links.link_url(url, link.token), gate, ledger,
                        tmp_path / "shots")
    keep = os.environ.get("GATESCAN_WALLET_SHOTS")
    if keep and (tmp_path / "shots").is_dir():
        shutil.copytree(tmp_path / "shots", keep, dirs_exist_ok=True)


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A function that starts a fresh headless Chromium profile (a phone); all are closed."""
    sync_playwright = _playwright()
    opened: list[Any] = []
    with sync_playwright() as pw:
        def phone(name: str, locale: str = "en-US") -> Any:
            context = pw.chromium.launch_persistent_context(
                str(tmp_path / f"profile-{name}"), executable_path=str(CHROMIUM),
                headless=True, args=FLAGS, viewport={"width": 390, "height": 844},
                device_scale_factor=2, locale=locale, service_workers="allow")
            opened.append(context)
            return context
        try:
            yield phone
        finally:
            for context in opened:
                context.close()


def _page_step(page: Any) -> int:
    page.wait_for_selector("#qr svg", timeout=20_000)
    return int(page.get_attribute("#qr", "data-step"))


def _read_both(path: Path, name: str) -> list[str]:
    """The one code in a screenshot, read by zxing-cpp and by zbar alike."""
    image = load_image(path)
    assert not isinstance(image, str), image
    reads = [[c.text for c in make_decoder(backend, inversion=Inversion.NONE).decode(image)]
             for backend in ("zxing", "zbar")]
    assert len(reads[0]) == 1 and reads[0] == reads[1], f"{name}: {len(reads[0])}/{len(reads[1])}"
    return reads[0]


def _shot(page: Any, venue: Venue, name: str) -> tuple[Token, str]:
    """Screenshot the page, decode it with both decoders; the token and its text."""
    step = _page_step(page)
    venue.shots.mkdir(exist_ok=True)
    path = venue.shots / f"{name}.png"
    page.screenshot(path=str(path))
    texts = _read_both(path, name)
    token = parse_token(texts[0])
    assert token.step in (step, step + 1)  # the page may re-sign between attribute and shot
    return token, texts[0]


def _redeem(venue: Venue, text: str, *, dry_run: bool = False) -> Outcome:
    return venue.ledger.redeem(text, time.time(), GATE, source="camera",
                               dry_run=dry_run).verdict.outcome


def _wait_step(page: Any, at_least: int) -> None:
    page.wait_for_function(
        "(n) => Number(document.querySelector('#qr')?.dataset.step) >= n", arg=at_least,
        timeout=(PERIOD * 4 + 10) * 1000)


def test_claim_admit_stale_offline_transfer(venue: Venue, chromium: Any) -> None:
    alice = chromium("alice").new_page()
    alice.goto(venue.link)
    first, first_text = _shot(alice, venue, "1-claimed")
    assert "#claim" not in alice.url  # the token left the address bar
    assert first.credential.serial == 1 and first.credential.event_id == venue.event_id
    assert alice.inner_text("#event-name") == "Spring Concert 春季音乐会"
    assert alice.inner_text("#seat") == "C-12" and alice.inner_text("#type-name") == "Pair"
    assert "New code in" in alice.inner_text("#countdown")
    assert _redeem(venue, first_text) is Outcome.ADMITTED
    again = alice.context.new_page()  # her own link again, on her phone: still her ticket
    again.goto(venue.link)
    assert _page_step(again) >= first.step and again.is_hidden("#screen-message")
    again.close()

    # Two periods later the page shows a new code; the old screenshot is refused as stale.
    _wait_step(alice, first.step + 2)
    later, later_text = _shot(alice, venue, "2-two-periods-later")
    assert later.step >= first.step + 2 and later.credential == first.credential
    assert _redeem(venue, first_text) is Outcome.STALE_CODE
    assert _redeem(venue, later_text, dry_run=True) is Outcome.ADMITTED

    # No network at all: the page comes back from its service worker and still signs.
    alice.evaluate("navigator.serviceWorker.ready.then(() => true)")
    alice.context.set_offline(True)
    alice.reload()
    offline, offline_text = _shot(alice, venue, "3-offline")
    assert offline.credential == first.credential
    assert not alice.is_hidden("#net")
    assert _redeem(venue, offline_text, dry_run=True) is Outcome.ADMITTED
    alice.context.set_offline(False)

    # Alice hands the ticket to Bob, then loses her data connection (as at a gate).
    alice.click("#transfer")
    alice.click("#confirm-yes")
    alice.wait_for_selector("#transfer-dialog[open] #link-qr svg")
    alice.screenshot(path=str(venue.shots / "4-transfer-link.png"))
    gift = alice.input_value("#link-text")
    assert _read_both(venue.shots / "4-transfer-link.png", "4-transfer-link") == [gift]
    assert gift.startswith(venue.url + "/wallet/#claim=gsw_")
    alice.click("#link-close")
    alice.context.set_offline(True)
    bob = chromium("bob", locale="zh-CN").new_page()
    bob.goto(gift)
    bobs, bobs_text = _shot(bob, venue, "5-bob-zh")
    assert bobs.credential.serial == 2 and bobs.credential.holder_key != first.credential.holder_key
    assert "秒后更新二维码" in bob.inner_text("#countdown")

    # Before the gate syncs it still admits Alice's code; after syncing it refuses it.
    before_sync, alice_text = _shot(alice, venue, "6-alice-after-transfer")
    assert before_sync.credential.serial == 1
    assert _redeem(venue, alice_text, dry_run=True) is Outcome.ADMITTED
    venue.ledger.apply_changes(venue.event_id, venue.gate.pull(), venue.gate.cursor)
    _, alice_text = _shot(alice, venue, "7-alice-after-sync")
    assert _redeem(venue, alice_text) is Outcome.SUPERSEDED
    assert _redeem(venue, bobs_text) is Outcome.ADMITTED

    # Back online, Alice's page learns the ticket moved and stops showing a code.
    alice.context.set_offline(False)
    alice.wait_for_selector("#gone:not([hidden])", timeout=15_000)
    assert alice.query_selector("#qr svg") is None
    alice.screenshot(path=str(venue.shots / "8-alice-superseded.png"))

    # A third phone opening Alice's original link cannot claim the ticket.
    carol = chromium("carol").new_page()
    carol.goto(venue.link)
    carol.wait_for_selector("#screen-message:not([hidden])", timeout=15_000)
    assert "already added to another phone" in carol.inner_text("#msg-text")
    carol.screenshot(path=str(venue.shots / "9-carol-refused.png"))


def _sync(venue: Venue) -> None:
    """The gate pulls the feed into its ledger (each pull also tells the server how far)."""
    venue.ledger.apply_changes(venue.event_id, venue.gate.pull(), venue.gate.cursor)


def test_the_short_code_once_every_gate_holds_the_claim_and_the_full_code_on_demand(
        venue: Venue, chromium: Any) -> None:
    alice = chromium("alice").new_page()
    alice.goto(venue.link)
    _page_step(alice)
    assert alice.get_attribute("#qr", "data-form") == "v1"  # the gate has not synced yet
    assert alice.is_hidden("#form-row")
    full, _ = _shot(alice, venue, "c1-full-before-sync")
    _sync(venue)
    _sync(venue)  # asked from past the claim: the server knows this gate holds it
    alice.reload()
    alice.wait_for_function("() => document.querySelector('#qr')?.dataset.form === 'v2'",
                            timeout=20_000)
    assert int(alice.get_attribute("#qr", "data-version")) <= 6
    venue.shots.mkdir(exist_ok=True)
    alice.screenshot(path=str(venue.shots / "c2-short-code.png"))
    short = _read_both(venue.shots / "c2-short-code.png", "c2-short-code")[0]
    assert short.startswith("GS2:") and len(short) == 121
    assert _redeem(venue, short) is Outcome.ADMITTED
    assert alice.inner_text("#full-code") == "Full code"
    alice.click("#full-code")
    alice.wait_for_function("() => document.querySelector('#qr')?.dataset.form === 'v1'",
                            timeout=20_000)
    again, again_text = _shot(alice, venue, "c3-full-on-demand")
    assert again.credential == full.credential
    assert _redeem(venue, again_text, dry_run=True) is Outcome.ADMITTED  # a Pair: person 2
    assert alice.inner_text("#full-code") == "Short code"


def test_webcrypto_vectors_and_installable(venue: Venue, chromium: Any) -> None:
    """Chromium's Ed25519 (seeds imported as PKCS#8) signs the shared vectors byte for byte,
    and Chromium finds the page installable (manifest, icon, service worker)."""
    page = chromium("vectors").new_page()
    page.goto(venue.url + "/wallet/")
    page.wait_for_selector("#screen-message:not([hidden])")  # no ticket yet
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = page.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    assert cdp.send("Page.getAppManifest")["errors"] == []
    vectors = json.loads(VECTORS.read_text())
    results = page.evaluate("""async (vectors) => {
      const tok = await import("/wallet/token.js");
      const pkcs8 = (seed) => tok.hexToBytes("302e020100300506032b657004220420" + seed);
      const key = (seed) => crypto.subtle.importKey("pkcs8", pkcs8(seed), {name: "Ed25519"},
                                                    false, ["sign"]);
      const out = [];
      const compact = [];
      for (const v of vectors) {
        const credential = tok.hexToBytes(v.token_hex.slice(0, 250));
        const holder = await key(v.holder_seed);
        out.push(await tok.buildToken(credential, tok.stepFor(v.unix_time, v.period),
                                      tok.webCryptoSigner(crypto.subtle, holder)));
        compact.push(await tok.buildCompactToken(credential, tok.stepFor(v.unix_time, v.period),
                                                 tok.webCryptoSigner(crypto.subtle, holder)));
      }
      const made = await crypto.subtle.generateKey({name: "Ed25519"}, false, ["sign", "verify"]);
      return {texts: out, compact, extractable: made.privateKey.extractable};
    }""", vectors)
    assert results["texts"] == [v["token_text"] for v in vectors]
    assert results["compact"] == [v["compact_text"] for v in vectors]
    assert results["extractable"] is False


def test_a_used_ticket_says_where_and_offers_no_transfer(venue: Venue, chromium: Any) -> None:
    from tests.server.client import scan

    alice = chromium("used").new_page()
    alice.goto(venue.link)
    token, text = _shot(alice, venue, "10-before-use")
    assert alice.is_visible("#transfer") and alice.is_hidden("#used")
    assert _redeem(venue, text) is Outcome.ADMITTED
    ticket_hex = f"{token.credential.ticket_id:016x}"
    results = venue.gate.push(scan(ticket_hex, time.time(), serial=token.credential.serial))
    assert results[0]["status"] == "stored"
    alice.reload()
    alice.wait_for_selector("#used:not([hidden])", timeout=15_000)
    assert "Gate 1" in alice.inner_text("#used") and "Used" in alice.inner_text("#used")
    assert alice.is_hidden("#transfer")
    alice.screenshot(path=str(venue.shots / "11-used.png"))


def test_times_in_the_event_zone_and_a_copyable_ticket_number(tmp_path: Path,
                                                              chromium: Any) -> None:
    """The page formats times in the event's IANA zone (here across the October DST change,
    whatever zone the browser is in) and shows the ticket number large with a copy button."""
    settings = load_settings(tmp_path / "data", {})
    now = int(time.time())
    start, end = 1_792_888_200, 1_792_915_200  # 2026-10-25 00:30Z and 08:00Z
    with IssuerStore.open(settings) as store, serving(settings, store) as url:
        event_id = issuer.create_event(store, "Autumn Fair", gates=[Gate("Gate 1")],
                                       ticket_types=[TicketType(1, "Day")],
                                       tz="Europe/Berlin").event_id
        ticket, link = links.issue_with_link(store, event_id, 1, start, end, None, now=now)
        context = chromium("dana")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
        page = context.new_page()
        page.emulate_media(color_scheme="light")
        page.goto(links.link_url(url, link.token))
        page.wait_for_selector("#screen-ticket:not([hidden])", timeout=20_000)
        # 02:30 CEST to 09:00 CET: a fixed offset would be an hour off at one end.
        assert page.inner_text("#valid") == "2026-10-25 02:30–09:00 (Europe/Berlin)"
        number = f"{ticket.ticket_id:016x}"
        shown = page.inner_text("#ticket-number")
        assert shown == " ".join(number[i:i + 4] for i in range(0, 16, 4))
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                             "'#ticket-number')).fontSize)")
        body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 1.5 * body  # large enough to read out or copy by hand
        page.click("#number-copy")
        page.wait_for_function("(n) => navigator.clipboard.readText().then((t) => t === n)",
                               arg=number, timeout=10_000)
