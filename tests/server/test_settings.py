"""Server settings: --data, then GATESCAN_SERVER_DATA, then the platform default."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from gatescan.server.settings import load_settings


def test_explicit_dir_wins_over_environment(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "a", {"GATESCAN_SERVER_DATA": str(tmp_path / "b")})
    assert settings.data_dir == tmp_path / "a"


def test_environment_when_no_option(tmp_path: Path) -> None:
    settings = load_settings(None, {"GATESCAN_SERVER_DATA": str(tmp_path / "b")})
    assert settings.data_dir == tmp_path / "b"


def test_platform_default_when_unset_or_empty() -> None:
    default = Path(platformdirs.user_data_dir("gatescan-server", appauthor=False))
    assert load_settings(None, {}).data_dir == default.absolute()
    assert load_settings(None, {"GATESCAN_SERVER_DATA": "  "}).data_dir == default.absolute()


def test_building_settings_touches_no_disk(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "nowhere")
    assert not settings.data_dir.exists()
    assert settings.database_path == tmp_path / "nowhere" / "issuer.db"
    assert settings.wallet_path == tmp_path / "nowhere" / "wallet.db"
    assert settings.keys_dir == tmp_path / "nowhere" / "keys"
    assert settings.manifest_path(42) == tmp_path / "nowhere" / "manifests" / "42.gsm"


def test_relative_dir_is_made_absolute() -> None:
    settings = load_settings("rel")
    assert settings.data_dir.is_absolute() and settings.data_dir.name == "rel"
