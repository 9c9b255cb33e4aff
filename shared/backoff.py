"""Waiting between attempts, one way everywhere: tenacity's exponential
policy (`first`, then doubling, at most `most` seconds).

`until_done` awaits a call until it succeeds (asyncio code: the gateway's
connections); `delay` is the same policy for loops that count their own
failures (a broker's delivery count, an e-mail's attempts, a background
loop's failures in a row).
"""
import tenacity


def policy(first: float, most: float) -> tenacity.wait.wait_base:
    return tenacity.wait_exponential(multiplier=first, max=most)


def delay(failures: int, first: float, most: float) -> float:
    """Seconds to wait after the `failures`-th failure in a row (1, 2, ...)."""
    state = tenacity.RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = max(1, failures)
    return policy(first, most)(state)


async def until_done(attempt, log, message: str, *, first: float, most: float, errors=(Exception,),
                     after_failure=None) -> None:
    """Await `attempt()` until it succeeds. After a failure in `errors`, log
    `message` as a warning, await `after_failure()` (e.g. drop a broken
    connection) and wait with back-off; anything else is raised."""

    def warn(state: tenacity.RetryCallState) -> None:
        log.warning(message, extra={"error": repr(state.outcome.exception()), "attempt": state.attempt_number})

    async for trying in tenacity.AsyncRetrying(
        wait=policy(first, most), retry=tenacity.retry_if_exception_type(errors), before_sleep=warn, reraise=True
    ):
        with trying:
            try:
                await attempt()
            except errors:
                if after_failure is not None:
                    await after_failure()
                raise
