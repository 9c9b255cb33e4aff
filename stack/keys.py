"""`python -m stack.keys`: the JWT key pair at JWT_PRIVATE_KEY_PATH and
JWT_PUBLIC_KEY_PATH when there is none (compose's one-shot `keys` step: the
private key goes to identity's volume, the public one to the gateway's), and
the caller-context pair at CALLER_PRIVATE_KEY_PATH / CALLER_PUBLIC_KEY_PATH
(the private key to the gateway's volume, the public one to the services').
A new random pair per installation, never a default; the private key is
created readable by its owner only."""
import logging

from shared.keys import write_jwt_keys
from shared.observability.logging import configure as configure_logging
from shared.settings import get_settings

log = logging.getLogger("keys")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    pairs = {
        "JWT": (settings.jwt_private_key_path, settings.jwt_public_key_path),
        "caller": (settings.caller_private_key_path, settings.caller_public_key_path),
    }
    for what, (private, public) in pairs.items():
        existed = private.exists()
        write_jwt_keys(private, public)
        log.info(f"{what} key pair kept" if existed else f"{what} key pair generated",
                 extra={"public_key": str(public)})


if __name__ == "__main__":
    main()
