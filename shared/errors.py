"""Expected failures a service raises over RPC.

nameko serialises a raised exception as `{exc_type, exc_args, value}`; the
gateway maps `exc_type` to an HTTP status in one table (gateway/errors.py).
The first argument is always the French detail shown to the user, except for
ValidationFailed whose first argument is the list of `{loc, msg}` errors.
"""


class DomainError(Exception):
    """Base of every expected failure: never a 500."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(DomainError):
    def __init__(self, errors: list[dict]):
        Exception.__init__(self, errors)
        self.errors = errors
        self.detail = "; ".join(e["msg"] for e in errors)

    @classmethod
    def single(cls, loc: list, msg: str) -> "ValidationFailed":
        return cls([{"loc": loc, "msg": msg}])


class BadRequest(DomainError):
    """A request that cannot be honoured as sent (e.g. a used or expired link token): 400."""


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass


class Conflict(DomainError):
    pass


class Unauthorized(DomainError):
    pass


class TooManyRequests(DomainError):
    def __init__(self, detail: str, retry_after_seconds: int):
        Exception.__init__(self, detail, retry_after_seconds)
        self.detail = detail
        self.retry_after_seconds = retry_after_seconds


class TemporarilyUnavailable(DomainError):
    """A transient failure (shared/transient.py), e.g. the service's database
    is unreachable: the gateway answers 503 with Retry-After."""

    def __init__(self, detail: str, retry_after_seconds: int):
        Exception.__init__(self, detail, retry_after_seconds)
        self.detail = detail
        self.retry_after_seconds = retry_after_seconds


class DeadlineExceeded(DomainError):
    """The caller's deadline passed before the service picked the request
    up: it was refused unstarted (the caller gave up; a retry with the same
    Idempotency-Key is safe). The gateway answers 503."""


EXPECTED_ERRORS = (DomainError,)
