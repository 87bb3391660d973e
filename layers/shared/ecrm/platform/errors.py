"""Domain errors. Each carries the HTTP status and stable code it maps to (in one place:
`ecrm.web.http.error_response`), so domain code never builds a response itself."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    status = 422
    code = "validation_failed"


class MalformedRequest(DomainError):
    status = 400
    code = "malformed_request"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class OriginNotAllowed(DomainError):
    status = 403
    code = "origin_not_allowed"


class InvalidToken(DomainError):
    status = 401
    code = "invalid_token"


class TokenExpired(InvalidToken):
    """Signed and meant for this, but too old (same status and code as any invalid token)."""


class TokenAlreadyUsed(DomainError):
    status = 409
    code = "token_already_used"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InUse(Conflict):
    """A template or segment that a draft or scheduled campaign, or an automation, uses."""

    code = "in_use"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(DomainError):
    """A conflicting write raced ours or AWS throttled us: safe to retry as is."""

    status = 503
    code = "busy_retry"

    def __init__(self, message: str = "Busy, please retry.", retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PreconditionFailed(DomainError):
    """If-Match names another version than the stored one (someone changed it meanwhile)."""

    status = 412
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    """A change that needs If-Match came without one."""

    status = 428
    code = "precondition_required"
