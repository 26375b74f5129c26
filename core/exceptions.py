"""Domain errors. They carry no HTTP; api/errors.py maps them in one place."""


class FinbotError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(FinbotError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Conflict(FinbotError):
    pass


class Invalid(FinbotError):
    """Input that passed the schema but breaks a rule; `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Unauthorized(FinbotError):
    pass


class RateLimited(FinbotError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BadRequest(FinbotError):
    """400: the request cannot be taken as it is (a webhook whose signature fails)."""


class Forbidden(FinbotError):
    """403: a signed link that fails its check, or a household member asking for what
    only its owner may do (the message says why). Other users' objects, and households
    one is not a member of, are NotFound."""


class PayloadTooLarge(FinbotError):
    pass


class PaymentRequired(FinbotError):
    """The payment was declined; the message is the provider's."""


class BadGateway(FinbotError):
    """An upstream service answered with an error that is not the user's doing."""


class ServiceUnavailable(FinbotError):
    pass
