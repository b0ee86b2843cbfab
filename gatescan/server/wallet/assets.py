"""The wallet page's static files: read once per app, versioned, pre-compressed.

Everything the page needs is served by this server (no CDN): a phone that
loaded it once keeps working offline through its service worker, whose cache
name carries `version` (a hash of every file), so a changed file reaches
phones on their next online visit. Files in subfolders (`vendor/NAME/...`, libraries
kept as their packages ship them) are named by their path below `static/`; only
these names are ever served, so no request reaches the file system.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

STATIC_PACKAGE = "gatescan.server.wallet"
VERSION_MARK = b"__WALLET_VERSION__"
TYPES = {
    "html": "text/html; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "mjs": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "webmanifest": "application/manifest+json",
    "txt": "text/plain; charset=utf-8",
}
# The page may talk only to this server and run only its own files.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; manifest-src 'self'; worker-src 'self'; base-uri 'none'; "
       "form-action 'none'; frame-ancestors 'none'")
MIN_GZIP = 512


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file: its bytes (and gzip form), type and entity tag."""

    name: str
    body: bytes
    gzipped: bytes | None
    media_type: str
    etag: str


@dataclass(frozen=True, slots=True)
class WalletAssets:
    """Every file of the page by name; `index.html` is also served as the page itself."""

    files: dict[str, Asset]
    version: str

    @classmethod
    def load(cls) -> WalletAssets:
        """Read the files shipped in `gatescan/server/wallet/static/`."""
        raw = dict(_walk(resources.files(STATIC_PACKAGE).joinpath("static"), ""))
        digest = hashlib.sha256()
        for name in sorted(raw):
            digest.update(name.encode() + b"\0" + raw[name] + b"\0")
        version = digest.hexdigest()[:16]
        files = {}
        for name, body in raw.items():
            body = body.replace(VERSION_MARK, version.encode())
            squeezed = gzip.compress(body, compresslevel=9, mtime=0)
            files[name] = Asset(
                name, body, squeezed if len(body) >= MIN_GZIP and len(squeezed) < len(body)
                else None, TYPES[name.rsplit(".", 1)[-1]],
                '"' + hashlib.sha256(body).hexdigest()[:20] + '"')
        return cls(files, version)


def _walk(folder: Traversable, prefix: str) -> list[tuple[str, bytes]]:
    """Every servable file below `folder` as (path below `static/`, bytes)."""
    found: list[tuple[str, bytes]] = []
    for entry in folder.iterdir():
        if entry.is_dir():
            found += _walk(entry, f"{prefix}{entry.name}/")
        elif entry.is_file() and entry.name.rsplit(".", 1)[-1] in TYPES:
            found.append((prefix + entry.name, entry.read_bytes()))
    return found
