"""RPC context entries the gateway sets beside the caller's identity
(nameko headers `nameko.<entry>`), one source for the gateway and the services."""

# When the caller stops waiting: epoch seconds, as text ("1796023300.840":
# an AMQP float header is single precision). A service that picks
# the request up later refuses it unstarted (shared/messaging/rpc.py). The
# clocks of gateway and services hosts are NTP-synchronised, as TLS and
# token expiry already require.
DEADLINE = "deadline"
