"""Domain errors: the one table of error codes and HTTP statuses.

Services raise these; ``thidua.rpc`` registers each class with nameko so that it
crosses RPC as itself (message and details intact), and the gateway turns it into
the HTTP status and code written here. Codes are stable: clients may switch on them.
This module imports nothing, so the pure domain modules can raise these errors.
"""


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message, details=None):
        super().__init__(message, details or {})
        self.message = message
        self.details = details or {}

    def __str__(self):
        return self.message


class ValidationFailed(DomainError):
    status, code = 422, "VALIDATION_FAILED"


class UnknownUnit(DomainError):
    status, code = 404, "UNKNOWN_UNIT"


class UnknownPeriod(DomainError):
    status, code = 404, "UNKNOWN_PERIOD"


class UnknownCluster(DomainError):
    status, code = 404, "UNKNOWN_CLUSTER"


class NotAMember(DomainError):
    status, code = 422, "UNIT_NOT_IN_CLUSTER"


class ReportExists(DomainError):
    status, code = 409, "REPORT_EXISTS"


class PeriodNotOpen(DomainError):
    status, code = 409, "PERIOD_NOT_OPEN"


class RunConcluded(DomainError):
    status, code = 409, "RUN_CONCLUDED"


class VoteNotClosed(DomainError):
    status, code = 409, "VOTE_NOT_CLOSED"


class ReportsNotReviewed(DomainError):
    status, code = 409, "REPORTS_NOT_REVIEWED"


class Forbidden(DomainError):
    status, code = 403, "FORBIDDEN"


class Unauthenticated(DomainError):
    status, code = 401, "UNAUTHENTICATED"


class InvalidTransition(DomainError):
    status, code = 409, "INVALID_TRANSITION"


class StaleVersion(DomainError):
    status, code = 409, "STALE_VERSION"


class IdempotencyKeyReused(DomainError):
    status, code = 422, "IDEMPOTENCY_KEY_REUSED"


class UnknownTemplate(DomainError):
    status, code = 404, "UNKNOWN_TEMPLATE"


class UnknownReport(DomainError):
    status, code = 404, "UNKNOWN_REPORT"


class UnknownEvidence(DomainError):
    status, code = 404, "UNKNOWN_EVIDENCE"


class UnknownNotice(DomainError):
    status, code = 404, "UNKNOWN_NOTICE"


class UnknownProposal(DomainError):
    status, code = 404, "UNKNOWN_PROPOSAL"


class VotingClosed(DomainError):
    status, code = 409, "VOTING_NOT_OPEN"


class AlreadyVoted(DomainError):
    status, code = 409, "ALREADY_VOTED"


class Conflict(DomainError):
    status, code = 409, "CONFLICT"


class TooManyAttempts(DomainError):
    status, code = 429, "TOO_MANY_ATTEMPTS"


class RankingNotFound(DomainError):
    status, code = 404, "RANKING_NOT_FOUND"


# --- the gateway's own refusals: of the HTTP request itself, before any service sees it ---

class MalformedJson(DomainError):
    status, code = 400, "MALFORMED_JSON"


class InvalidUtf8(DomainError):
    status, code = 400, "INVALID_UTF8"


class InvalidKey(DomainError):
    status, code = 400, "INVALID_KEY"


class InvalidQuery(DomainError):
    status, code = 400, "INVALID_QUERY"


class InvalidIdempotencyKey(DomainError):
    status, code = 400, "INVALID_IDEMPOTENCY_KEY"


class InvalidToken(DomainError):
    status, code = 401, "INVALID_TOKEN"


class NotFound(DomainError):
    status, code = 404, "NOT_FOUND"


class MethodNotSupported(DomainError):
    status, code = 405, "METHOD_NOT_ALLOWED"


class BodyTooLarge(DomainError):
    status, code = 413, "BODY_TOO_LARGE"


class UnsupportedMediaType(DomainError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class RateLimited(DomainError):
    status, code = 429, "RATE_LIMITED"


# --- failures of the platform, not of the request: the only 5xx answers ---

class InternalError(DomainError):
    status, code = 500, "INTERNAL_ERROR"


class UpstreamError(DomainError):
    status, code = 502, "UPSTREAM_ERROR"


class ServiceUnavailable(DomainError):
    status, code = 503, "SERVICE_UNAVAILABLE"


def table():
    """Every error code with its HTTP status, for the docs."""
    return sorted((cls.code, cls.status, cls.__name__) for cls in DomainError.__subclasses__())


class Problems:
    """Collects every problem of a request, so that one answer names them all."""

    def __init__(self):
        self.fields = {}

    def add(self, field, message):
        self.fields.setdefault(field, message)

    def raise_if_any(self, what):
        if self.fields:
            listed = "; ".join(f"{k}: {v}" for k, v in sorted(self.fields.items()))
            raise ValidationFailed(f"{what} has invalid fields: {listed}.", {"fields": self.fields})
