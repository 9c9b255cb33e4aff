"""Fixtures for service unit tests: fakes, a real token issuer with a fresh key."""
from datetime import datetime, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.identity.passwords import common_passwords
from services.identity.tokens import TokenIssuer
from tests.unit.fakes import (
    FakeAnalyticsUnitOfWork, FakeHasher, FakeIdentityUnitOfWork, FakeModerationUnitOfWork, FakePostsUnitOfWork,
    TOKEN_AUDIENCE, TOKEN_ISSUER,
)



@pytest.fixture
def now() -> datetime:
    # Real time: access tokens are checked by PyJWT against the wall clock.
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def public_key_pem(signing_key) -> bytes:
    return signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def tokens(signing_key) -> TokenIssuer:
    pem = signing_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return TokenIssuer(pem, TOKEN_ISSUER, TOKEN_AUDIENCE, access_minutes=15, refresh_days=30)


@pytest.fixture
def hasher() -> FakeHasher:
    return FakeHasher()


@pytest.fixture(scope="session")
def common() -> frozenset[str]:
    return common_passwords()


@pytest.fixture
def identity_uow() -> FakeIdentityUnitOfWork:
    return FakeIdentityUnitOfWork()


@pytest.fixture
def posts_uow() -> FakePostsUnitOfWork:
    return FakePostsUnitOfWork()


@pytest.fixture
def moderation_uow() -> FakeModerationUnitOfWork:
    return FakeModerationUnitOfWork()


@pytest.fixture
def analytics_uow() -> FakeAnalyticsUnitOfWork:
    return FakeAnalyticsUnitOfWork()
