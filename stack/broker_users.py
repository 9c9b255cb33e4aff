"""The data team's broker user: reads the analytics stream, nothing else.

The data team reads the pseudonymous stream (`analytics.stream.*`,
services/analytics/stream.py, tools/datastream) with a user of its own,
created by the bootstrap through the management API in the platform's
vhost: it may not configure anything (declare, bind, delete), not write to
any exchange (so no RPC through `nameko-rpc` and no event), and read the
stream queues alone (not `rpc-*` requests, which may carry passwords, nor
event queues). Without DATA_TEAM_AMQP_PASSWORD no user is made.
"""
from __future__ import annotations

import logging
from urllib.parse import quote

from shared.messaging.topology import management_api, vhost_of
from shared.settings import Settings

log = logging.getLogger(__name__)

# Every version of the stream (analytics.stream.v2, a later v3 beside it).
STREAM_QUEUES = r"^analytics\.stream\..+$"
NOTHING = "^$"


def data_team_permissions() -> dict[str, str]:
    return {"configure": NOTHING, "write": NOTHING, "read": STREAM_QUEUES}


def ensure_data_team_user(settings: Settings) -> bool:
    """Create or update the user and its permissions; False when no password is set."""
    user, password = settings.data_team_amqp_user, settings.data_team_amqp_password
    if not password:
        log.info("no data team broker user: DATA_TEAM_AMQP_PASSWORD is not set")
        return False
    vhost = vhost_of(settings.amqp_uri)
    with management_api(settings.rabbitmq_management_url) as api:
        api.put(f"/api/users/{quote(user, safe='')}", json={"password": password, "tags": ""}).raise_for_status()
        api.put(f"/api/permissions/{quote(vhost, safe='')}/{quote(user, safe='')}",
                json=data_team_permissions()).raise_for_status()
    log.info("data team broker user ready", extra={"user": user, "vhost": vhost})
    return True


def delete_user(settings: Settings, user: str) -> None:
    with management_api(settings.rabbitmq_management_url) as api:
        api.delete(f"/api/users/{quote(user, safe='')}")
