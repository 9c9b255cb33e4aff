"""A refresh retried after a timeout (its answer lost) within the grace
window is not a replay: it gets a new pair and the login lives on; the same
token used again after the window is a replay and ends the login (identity
on its real database)."""
import time

import pytest
from nameko.exceptions import RemoteError

pytestmark = pytest.mark.integration


def test_a_retried_refresh_is_not_a_replay_but_a_late_one_is(platform, start_service, rpc):
    start_service("identity")
    identity = rpc().identity
    first = identity.login({"email": platform.platform_admin_email, "password": platform.platform_admin_password})

    lost = identity.refresh({"refresh_token": first["refresh_token"]})  # the client timed out before this answer
    retried = identity.refresh({"refresh_token": first["refresh_token"]})
    assert retried["refresh_token"] != lost["refresh_token"]
    assert identity.refresh({"refresh_token": retried["refresh_token"]})  # the login lives on

    time.sleep(platform.refresh_reuse_grace_seconds + 1)
    with pytest.raises(RemoteError) as replay:
        identity.refresh({"refresh_token": first["refresh_token"]})
    assert replay.value.exc_type == "Unauthorized" and "révoquée" in str(replay.value)
    with pytest.raises(RemoteError):  # every token of that login is revoked
        identity.refresh({"refresh_token": lost["refresh_token"]})
