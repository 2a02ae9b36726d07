"""What went wrong with a teacher call, and whether trying again can help.

Transport faults (429, 5xx, timeouts, lost connections) are retried with backoff; an answer
that arrived but cannot be used (empty, cut by max_tokens, not JSON when JSON was asked for)
is retried under its own, smaller limit; anything else (bad request, auth, unknown model,
context too long) fails at once, since sending the same request again gets the same answer.
"""

import email.utils
import json
import random
import time
from enum import StrEnum

import litellm


class FaultKind(StrEnum):
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    INVALID_ANSWER = "invalid_answer"
    REJECTED = "rejected"
    # A request of a provider batch that ended without running it (teacher/batch.py).
    BATCH_EXPIRED = "batch_expired"
    BATCH_CANCELLED = "batch_cancelled"
    BATCH_FAILED = "batch_failed"

    @property
    def transient(self) -> bool:
        return self in {FaultKind.RATE_LIMITED, FaultKind.SERVER_ERROR, FaultKind.TIMEOUT,
                        FaultKind.CONNECTION}


def classify(error: Exception) -> FaultKind:
    """The kind of a litellm call failure (litellm maps every provider's errors onto these)."""
    status = getattr(error, "status_code", None)
    if isinstance(error, litellm.RateLimitError) or status == 429:
        return FaultKind.RATE_LIMITED
    if isinstance(error, litellm.Timeout):
        return FaultKind.TIMEOUT
    if isinstance(error, litellm.APIConnectionError):
        return FaultKind.CONNECTION
    if isinstance(status, int) and status >= 500:
        return FaultKind.SERVER_ERROR  # includes a 200 whose body litellm could not parse
    return FaultKind.REJECTED


def classify_status(status_code: int | None) -> FaultKind:
    """The kind of an HTTP error status a provider reported for a request (e.g. in a batch)."""
    if status_code == 429:
        return FaultKind.RATE_LIMITED
    if status_code is not None and status_code >= 500:
        return FaultKind.SERVER_ERROR
    return FaultKind.REJECTED


def retry_after_s(error: Exception, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or HTTP date, or
    retry-after-ms), if it said so."""
    headers = getattr(error, "litellm_response_headers", None) or {}
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            return max(float(milliseconds) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(moment - (time.time() if now is None else now), 0.0)


def backoff_delay_s(attempt: int, base_s: float, cap_s: float) -> float:
    """Exponential backoff with jitter for the given retry (1 = first): a random delay in the
    upper half of min(cap, base * 2^(attempt-1)), so retries spread out instead of colliding."""
    ceiling = min(cap_s, base_s * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def answer_problem(text: str, finish_reason: str | None, wants_json: bool) -> str | None:
    """Why an answer that arrived cannot be used, or None when it can."""
    if not text.strip():
        return "empty answer"
    if finish_reason == "length":
        return "answer cut off by max_tokens"
    if wants_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return f"answer is not valid JSON: {error}"
    return None
