"""Ed25519 key pairs for signing access tokens (dev machines and tests)."""
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
