"""Keys: Ed25519 key pairs for signing access tokens (dev machines and
tests), and secret keys (HMAC) given in a setting or kept in a file."""
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def write_key_pair(directory: Path, name: str = "jwt_ed25519") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}.pem", directory / f"{name}.pub.pem"
    if not private_path.exists():
        key = Ed25519PrivateKey.generate()
        private_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        private_path.chmod(0o600)
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
