"""The bootstrap makes the JWT and caller-context key pairs in development
only; elsewhere the deployment provides them (the JWT private key to
identity, the caller private key to the gateway), and the bootstrap never
sees a private key."""
import stat

from shared.settings import Settings
from stack.bootstrap import ensure_keys


def settings(tmp_path, env: str) -> Settings:
    return Settings(platform_env=env, jwt_private_key_path=tmp_path / "private" / "jwt.pem",
                    jwt_public_key_path=tmp_path / "public" / "jwt.pub.pem", cursor_key="k" * 32,
                    caller_private_key_path=tmp_path / "caller-private" / "caller.pem",
                    caller_public_key_path=tmp_path / "caller-public" / "caller.pub.pem")


def test_in_development_the_bootstrap_makes_the_pair(tmp_path):
    dev = settings(tmp_path, "development")
    ensure_keys(dev)
    assert stat.S_IMODE(dev.jwt_private_key_path.stat().st_mode) == 0o600
    assert dev.jwt_public_key_path.is_file()
    assert stat.S_IMODE(dev.caller_private_key_path.stat().st_mode) == 0o600
    assert dev.caller_public_key_path.is_file()


def test_outside_development_the_bootstrap_makes_no_key(tmp_path):
    for env in ("production", "staging", ""):
        ensure_keys(settings(tmp_path, env))
    assert not any((tmp_path / d).exists() for d in ("private", "public", "caller-private", "caller-public"))
