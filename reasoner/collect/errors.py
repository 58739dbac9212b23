"""Errors of `reason collect`, as data.

Two kinds of failure, kept apart on purpose:

* :class:`CollectError` (a :class:`reasoner.errors.ReasonError`): the run cannot go on or its result
  could not be trusted at all — no credentials, unknown profile, expired token, a role that cannot be
  assumed, an output folder we must not replace.  The CLI prints it as one line and exits 2; nothing
  is written.
* :class:`Incomplete`: one API call failed in one account/region (AccessDenied, UnauthorizedOperation,
  OptInRequired, an operation not supported there, throttling that outlasted the retries, ...).  It is
  recorded in ``reason-collect.json`` and collection goes on; every later query on the snapshot warns.

:func:`classify` decides which kind a botocore exception is.  Not handled: telling apart a region
that is disabled from bad credentials when EC2 answers ``AuthFailure`` (treated as fatal: retrying
other regions with the same credentials would fail the same way).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from botocore.parsers import ResponseParserError

from reasoner.errors import ReasonError

#: Exceptions that make one call incomplete (unless :func:`fatal` says they stop the run): AWS error
#: answers, botocore failures (connection, timeouts, retries exhausted), unparseable answers.
RECORDABLE: tuple[type[BaseException], ...] = (ClientError, BotoCoreError, ResponseParserError)

#: Error codes that mean "these credentials do not work": the whole run stops.
FATAL_CODES: dict[str, tuple[str, str]] = {
    "ExpiredToken": ("collect.expired_token", "the AWS session token has expired"),
    "ExpiredTokenException": ("collect.expired_token", "the AWS session token has expired"),
    "RequestExpired": ("collect.expired_token", "the request expired (session token expired or the clock is off)"),
    "InvalidClientTokenId": ("collect.bad_credentials", "AWS does not recognise the access key id"),
    "UnrecognizedClientException": ("collect.bad_credentials", "AWS does not recognise the access key id"),
    "InvalidAccessKeyId": ("collect.bad_credentials", "AWS does not recognise the access key id"),
    "SignatureDoesNotMatch": ("collect.bad_credentials", "the AWS secret key does not match the access key id"),
    "AuthFailure": ("collect.bad_credentials", "AWS could not validate the credentials"),
}

_CREDENTIALS_HINT = ("check `aws sts get-caller-identity` works with the same profile; "
                     "refresh the credentials (e.g. `aws sso login`) and run again")


class CollectError(ReasonError):
    """`reason collect` cannot go on (credentials, profile, roles, output folder, options)."""


@dataclass(frozen=True)
class Incomplete:
    """One API call whose data is missing (or partly missing) from the snapshot."""

    account: str
    region: str
    service: str
    operation: str
    error_code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.service} {self.operation} in {self.account}/{self.region}: {self.error_code}"


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, else the botocore exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


#: Credentials seen in this process (access key ids, secrets, tokens): :func:`redact` removes them from any text.
_SECRETS: set[str] = set()
_SECRET_PATTERNS = [
    re.compile(r"AWS4-HMAC-SHA256[^'\"]*", re.I),                            # a whole signing header
    re.compile(r"(Authorization|X-Amz-Security-Token|X-Amz-Credential|X-Amz-Signature|Credential|Signature|"
               r"SignedHeaders)\s*[=:]\s*[^\s,;'\"]*", re.I),
    re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b"),                      # access key ids
]


def remember_secrets(*values: object) -> None:
    """Registers credentials (key id, secret, session token) so that :func:`redact` removes them."""
    _SECRETS.update(v for v in values if isinstance(v, str) and len(v) >= 4)


def redact(text: str) -> str:
    """``text`` without credentials or request headers (signing header, key ids, tokens, signatures)."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) + "=***") if m.lastindex else "***", text)
    return text


def error_message(exc: BaseException) -> str:
    """A one-line message (AWS's own for a ClientError); never includes credentials or request headers."""
    if isinstance(exc, ClientError):
        text = str(exc.response.get("Error", {}).get("Message") or exc)
    else:
        text = str(exc)
    return redact(" ".join(text.split()))[:500]


def fatal(exc: BaseException, where: str) -> CollectError | None:
    """The :class:`CollectError` to stop with, or ``None`` when ``exc`` only makes one call incomplete.

    ``where`` names what was being done ("account 123456789012", "profile dev", a role ARN), used
    as the error's location.
    """
    if isinstance(exc, CollectError):
        return exc
    if isinstance(exc, ProfileNotFound):
        return CollectError("collect.unknown_profile", f"the AWS profile {exc.kwargs.get('profile')!r} is not configured",
                            location=where, hint="list profiles with `aws configure list-profiles`, or unset AWS_PROFILE")
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return CollectError("collect.no_credentials", "no AWS credentials found", location=where,
                            hint="set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(exc, NoRegionError):
        return CollectError("collect.no_region", "no AWS region configured", location=where,
                            hint="pass --region R (or --all-regions), or set AWS_REGION")
    if isinstance(exc, CredentialRetrievalError) or type(exc).__name__ in (
            "TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "SSOError"):
        return CollectError("collect.expired_token", f"could not get AWS credentials: {error_message(exc)}",
                            location=where, hint=_CREDENTIALS_HINT)
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code in FATAL_CODES:
            rcode, text = FATAL_CODES[code]
            return CollectError(rcode, f"{text} ({code})", location=where, hint=_CREDENTIALS_HINT)
    return None


