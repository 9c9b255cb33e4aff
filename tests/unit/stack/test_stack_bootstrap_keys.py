"""The bootstrap makes the JWT key pair in development only; elsewhere the
deployment provides it to identity and the gateway, and the bootstrap never
sees the private key."""
import stat

from shared.settings import Settings
from stack.bootstrap import ensure_keys


def settings(tmp_path, env: str) -> Settings:
    return Settings(platform_env=env, jwt_private_key_path=tmp_path / "private" / "jwt.pem",
                    jwt_public_key_path=tmp_path / "public" / "jwt.pub.pem", cursor_key="k" * 32)


def test_in_development_the_bootstrap_makes_the_pair(tmp_path):
    dev = settings(tmp_path, "development")
    ensure_keys(dev)
    assert stat.S_IMODE(dev.jwt_private_key_path.stat().st_mode) == 0o600
    assert dev.jwt_public_key_path.is_file()


def test_outside_development_the_bootstrap_makes_no_key(tmp_path):
    for env in ("production", "staging", ""):
        ensure_keys(settings(tmp_path, env))
    assert not (tmp_path / "private").exists() and not (tmp_path / "public").exists()
