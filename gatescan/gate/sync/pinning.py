"""Which issuer keys a manifest must be signed with before this gate trusts it.

Enrolled gates pin to the fingerprints the enrollment QR code carried (or, from an
older server, the enrollment answer's active keys): the sync path passes them to
every manifest import, and the USB path uses them too. A gate that was never
enrolled has nothing to pin to, so its first USB import of an event needs
`--expect-key FINGERPRINT`, read off the organizer's screen: without it the
import is refused and the manifest's signer fingerprint printed, for a person
to compare. Once an event is loaded, its stored keys decide (a manifest signed
by another key is `untrusted_signer`), and new keys come only in manifests
signed by a trusted key, or as key changes the previous key signed.
"""

from __future__ import annotations

from pathlib import Path

from gatescan.gate.ledger.errors import LedgerError
from gatescan.gate.ledger.importer import fingerprint, normalize_key_pin
from gatescan.gate.ledger.ledger import Ledger
from gatescan.gate.settings import ScannerSettings
from gatescan.gate.sync.credentials import Credentials, CredentialsError
from gatescan.protocol.manifest import ManifestError, ManifestReader


class PinError(Exception):
    """The import cannot be pinned: the message says what the operator should do."""


def enrolled_pins(settings: ScannerSettings) -> tuple[str, ...]:
    """The fingerprints this gate was enrolled with (empty if not enrolled)."""
    try:
        creds = Credentials.load(settings.data_dir)
    except CredentialsError:
        return ()
    return creds.issuer_keys if creds is not None else ()


def usb_pins(settings: ScannerSettings, file: Path, expect_key: str | None) -> tuple[str, ...]:
    """The pins for `gatescan import-manifest FILE`; raises `PinError` when it must not run."""
    if expect_key is not None:
        try:
            normalize_key_pin(expect_key)
        except ValueError:
            raise PinError(f"--expect-key {expect_key[:80]!r} is not a key fingerprint: give "
                           "the 64 hex digits the organizer shows (or an 8-digit key id)"
                           ) from None
        return ()
    pins = enrolled_pins(settings)
    if pins or _event_loaded(settings):
        return pins
    try:
        with file.open("rb") as f:
            signer = ManifestReader(f).header.signer_key()
    except OSError as exc:
        raise PinError(f"cannot read {file}: {exc.strerror}") from None
    except ManifestError as exc:
        raise PinError(f"manifest refused ({exc.code}): {exc.message}") from None
    raise PinError(f"this gate holds no event yet: the manifest is signed by key "
                   f"{signer.kid.hex()}, fingerprint {fingerprint(signer.public_key)}. Compare "
                   "it with the one the organizer shows, then run again with --expect-key "
                   "FINGERPRINT")


def _event_loaded(settings: ScannerSettings) -> bool:
    if not settings.ledger_path.exists():
        return False
    try:
        with Ledger(settings.ledger_path) as ledger:
            return ledger.loaded_event_id() is not None
    except LedgerError:
        return False
