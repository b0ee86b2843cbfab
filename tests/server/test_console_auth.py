"""Console sign-in, sessions, CSRF, roles and the audit log, against the real server."""

from __future__ import annotations

import time

import httpx
import pytest

from gatescan.server.console import accounts, roles
from gatescan.server.console.roles import Role
from gatescan.server.settings import ServerSettings
from gatescan.server.store import IssuerStore
from tests.server.console_helpers import PASSWORD, TWO_GATES, account, csrf_of, sign_in


def _create(client: httpx.Client) -> int:
    r = client.post("/console/events", data={**TWO_GATES, "csrf": csrf_of(
        client, "/console/events/new")})
    assert r.status_code == 303, r.text
    return int(r.headers["location"].split("/")[3].split("?")[0])


def test_sign_in_cookie_flags_and_sign_out(server: str, store: IssuerStore,
                                           settings: ServerSettings) -> None:
    account(store, "boss@example.org", Role.OWNER)
    with httpx.Client(base_url=server) as browser:
        r = browser.get("/console/events", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        r = browser.post("/console/login", data={"email": "boss@example.org",
                                                 "password": "wrong password!"})
        assert r.status_code == 401 and "Wrong e-mail or password." in r.text
        r = browser.post("/console/login", data={"email": "BOSS@example.org",
                                                 "password": PASSWORD})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
        assert f"max-age={settings.session_ttl}" in cookie and "secure" not in cookie
        assert browser.get("/console/events").status_code == 200
        token = csrf_of(browser, "/console/events")
        assert browser.post("/console/logout", data={"csrf": token}).status_code == 303
        assert browser.get("/console/events", follow_redirects=False).status_code == 303


def test_cookie_is_secure_behind_an_https_proxy(server: str, store: IssuerStore) -> None:
    account(store, "boss@example.org", Role.OWNER)
    r = httpx.post(f"{server}/console/login", headers={"X-Forwarded-Proto": "https"},
                   data={"email": "boss@example.org", "password": PASSWORD})
    assert r.status_code == 303 and "secure" in r.headers["set-cookie"].lower()


def test_expired_session_signs_out(store: IssuerStore, server: str) -> None:
    account_id = account(store, "boss@example.org", Role.OWNER)
    cookie = accounts.new_session(store, account_id, ttl=60, now=time.time() - 120)
    assert accounts.session(store, cookie, now=time.time()) is None
    r = httpx.get(f"{server}/console/events", cookies={"gatescan_console": cookie})
    assert r.status_code == 303 and r.headers["location"] == "/console/login"


def test_a_post_without_the_csrf_token_changes_nothing(server: str,
                                                       store: IssuerStore) -> None:
    account(store, "boss@example.org", Role.OWNER)
    with sign_in(server, "boss@example.org") as browser:
        before = len(store.events())
        r = browser.post("/console/events", data=TWO_GATES)
        assert r.status_code == 403 and "nothing was changed" in r.text
        r = browser.post("/console/events", data={**TWO_GATES, "csrf": "forged"})
        assert r.status_code == 403
        assert len(store.events()) == before
        event_id = _create(browser)
        r = browser.post(f"/console/events/{event_id}/archive", data={})
        assert r.status_code == 403 and not browser.get(
            f"/console/events/{event_id}").text.count('class="tag">archived')


def test_viewer_sees_but_cannot_change(server: str, store: IssuerStore) -> None:
    account(store, "boss@example.org", Role.OWNER)
    with sign_in(server, "boss@example.org") as owner:
        event_id = _create(owner)
    account(store, "look@example.org", Role.VIEWER, event_id)
    with sign_in(server, "look@example.org") as viewer:
        page = viewer.get(f"/console/events/{event_id}").text
        assert "Riverside Festival" in page and "<button" not in page.replace(
            '<button type="submit" class="link">', "")
        assert " disabled>" in page and "New event" not in viewer.get("/console/events").text
        token = csrf_of(viewer, f"/console/events/{event_id}")
        for path in (f"/console/events/{event_id}", f"/console/events/{event_id}/archive",
                     f"/console/events/{event_id}/duplicate",
                     f"/console/events/{event_id}/delete", "/console/events"):
            r = viewer.post(path, data={**TWO_GATES, "name": "Hacked", "csrf": token})
            assert r.status_code == 403, path
        assert store.event(event_id).name == "Riverside Festival"  # type: ignore[union-attr]
        assert viewer.get("/console/events/new").status_code == 403
    account(store, "other@example.org", Role.OWNER, 12345)
    with sign_in(server, "other@example.org") as stranger:
        assert stranger.get(f"/console/events/{event_id}").status_code == 404
        assert "Riverside" not in stranger.get("/console/events").text


def test_audit_log_names_who_changed_what(server: str, store: IssuerStore) -> None:
    account(store, "boss@example.org", Role.OWNER)
    with sign_in(server, "boss@example.org") as browser:
        event_id = _create(browser)
        token = csrf_of(browser, f"/console/events/{event_id}")
        browser.post(f"/console/events/{event_id}/archive", data={"csrf": token})
        page = browser.get("/console/audit").text
    assert page.count("boss@example.org") >= 3 and "event_create" in page
    assert "event_archive" in page and f"#{event_id}" in page and PASSWORD not in page


def test_chinese_from_accept_language_and_the_toggle(server: str, store: IssuerStore) -> None:
    r = httpx.get(f"{server}/console/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in r.text and "电子邮箱" in r.text
    with httpx.Client(base_url=server) as browser:
        r = browser.get("/console/lang/zh_CN", params={"back": "/console/login"})
        assert r.status_code == 303 and r.headers["location"] == "/console/login"
        assert "登录" in browser.get("/console/login").text
        r = browser.get("/console/lang/en", params={"back": "https://evil.example/"})
        assert r.headers["location"] == "/console"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_scoped_admin_tokens(server: str, store: IssuerStore, admin_token: str) -> None:
    from gatescan.server import admins
    from tests.server.client import general_event

    body = general_event("Scoped")
    headers = {"Authorization": f"Bearer {admin_token}"}  # a pre-console token: owns all
    one = httpx.post(f"{server}/api/v1/admin/events", json=body, headers=headers).json()
    two = httpx.post(f"{server}/api/v1/admin/events", json=body, headers=headers).json()
    _, viewer = admins.create_admin_token(store, "viewer", now=time.time())
    viewer_id = admins.admin_for_token(store, viewer)
    assert viewer_id is not None
    roles.grant(store, viewer_id, Role.VIEWER, one["event_id"])
    see = {"Authorization": f"Bearer {viewer}"}
    assert httpx.get(f"{server}/api/v1/admin/events/{one['event_id']}",
                     headers=see).status_code == 200
    r = httpx.get(f"{server}/api/v1/admin/events/{two['event_id']}", headers=see)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = httpx.put(f"{server}/api/v1/admin/events/{one['event_id']}", json=body, headers=see)
    assert r.status_code == 403
    assert httpx.post(f"{server}/api/v1/admin/events", json=body,
                      headers=see).status_code == 403
    _, staff = admins.create_admin_token(store, "staff", now=time.time())
    staff_id = admins.admin_for_token(store, staff)
    assert staff_id is not None
    roles.grant(store, staff_id, Role.STAFF, one["event_id"])
    work = {"Authorization": f"Bearer {staff}"}
    r = httpx.post(f"{server}/api/v1/admin/events/{one['event_id']}/devices",
                   json={"name": "lane 1", "gate": "Gate 1"}, headers=work)
    assert r.status_code == 201, r.text
    device_id = r.json()["device"]["device_id"]
    assert httpx.post(f"{server}/api/v1/admin/devices/{device_id}/revoke",
                      headers=see).status_code == 403
    assert httpx.post(f"{server}/api/v1/admin/devices/{device_id}/revoke",
                      headers=work).status_code == 200
    assert httpx.put(f"{server}/api/v1/admin/events/{one['event_id']}", json=body,
                     headers=work).status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"])
def test_dashboard_never_guesses_the_event(server: str, store: IssuerStore,
                                           admin_token: str) -> None:
    from gatescan.server.console import events
    from tests.server.client import general_event

    headers = {"Authorization": f"Bearer {admin_token}"}
    one = httpx.post(f"{server}/api/v1/admin/events", json=general_event("First night"),
                     headers=headers).json()["event_id"]
    two = httpx.post(f"{server}/api/v1/admin/events", json=general_event("Second night"),
                     headers=headers).json()["event_id"]
    with httpx.Client(base_url=server) as browser:
        browser.post("/dashboard/login", data={"token": admin_token})
        page = browser.get("/dashboard").text
        assert "2 active events: choose one." in page
        assert f"/dashboard?event={one}" in page and f"/dashboard?event={two}" in page
        events.set_archived(store, two, True)
        page = browser.get("/dashboard").text
        assert "First night" in page and "Second night" not in page and "choose" not in page
        assert "Second night" in browser.get("/dashboard", params={"event": two}).text
