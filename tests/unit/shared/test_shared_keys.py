"""The JWT private key is created readable by its owner only from the start
(os.open with mode 0600), never written with the default umask then chmodded."""
import os
import stat
from pathlib import Path

import pytest

from shared.keys import write_jwt_keys, write_key_pair


@pytest.fixture
def open_umask():
    previous = os.umask(0)  # the most permissive umask: a plain write would make 0666
    yield
    os.umask(previous)


def test_the_private_key_is_created_0600_without_a_chmod(tmp_path, open_umask, monkeypatch):
    def no_chmod(*args, **kwargs):
        raise AssertionError("the key was made readable first, then chmodded")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    private, public = write_jwt_keys(tmp_path / "private" / "jwt.pem", tmp_path / "public" / "jwt.pub.pem")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert private.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert private.parent != public.parent  # identity's volume, the gateway's volume


def test_an_existing_pair_is_kept(tmp_path):
    first = write_key_pair(tmp_path)
    before = first[0].read_bytes()
    assert write_key_pair(tmp_path) == first
    assert first[0].read_bytes() == before
