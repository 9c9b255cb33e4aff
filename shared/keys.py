"""Keys: Ed25519 key pairs for signing access tokens (dev machines and
tests), and secret keys (HMAC) given in a setting or kept in a file."""
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def write_key_pair(directory: Path, name: str = "jwt_ed25519") -> tuple[Path, Path]:
    directory = Path(directory)
    return write_jwt_keys(directory / f"{name}.pem", directory / f"{name}.pub.pem")


def write_jwt_keys(private_path: Path, public_path: Path) -> tuple[Path, Path]:
    """An Ed25519 pair at these paths (they may be in different directories:
    only identity needs the private one), unless the private key exists. The
    private key file is created readable by its owner alone from the start
    (created 0600, never chmodded after: no moment where it is readable by others)."""
    private_path, public_path = Path(private_path), Path(public_path)
    if private_path.exists():
        return private_path, public_path
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return private_path, public_path


def secret_key(value: str, path: Path, setting: str) -> bytes:
    """A secret key: `value` (the setting `setting`) when given, else the
    content of `path`, which is created (32 random bytes, hex, mode 0600)
    when missing. Creation is atomic, so processes starting together agree
    on one key. Fewer than 16 characters is refused."""
    if value:
        key = value.encode()
        if len(key) < 16:
            raise SystemExit(f"{setting} must hold at least 16 characters")
        return key
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:
            os.link(draft, path)  # atomic, and fails when another process won the race
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip().encode()
    if len(key) < 16:
        raise SystemExit(f"{path} must hold a key of at least 16 characters")
    return key
