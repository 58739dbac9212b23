"""boto3 sessions for `reason collect`: profile, region, endpoint, assumed roles and retries.

Handled:

* **Profile**: ``--profile``, else ``AWS_PROFILE``, else botocore's default credential chain
  (environment keys, shared config/credentials files, SSO, container and instance roles).
* **Region**: ``--region`` (repeatable); else ``AWS_REGION``, then ``AWS_DEFAULT_REGION`` or the
  profile's ``region`` (the AWS CLI v2 order; botocore alone ignores ``AWS_REGION``);
  ``--all-regions`` asks EC2 ``DescribeRegions`` for the regions enabled in each account.
* **Endpoint**: ``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>`` are honoured by botocore
  itself (since 1.31), for every client made here; nothing is overridden.
* **Accounts**: the account id is STS ``GetCallerIdentity``'s; each ``--role-arn`` is assumed with
  STS ``AssumeRole`` from the base session (session name ``reason-collect``) and gets its own
  session and account id.
* **Retries**: botocore's ``standard`` retry mode (or ``adaptive`` when ``AWS_RETRY_MODE=adaptive``)
  with 10 attempts in all, the first included (or ``AWS_MAX_ATTEMPTS``): throttling, transient 5xx and connection errors are
  retried with backoff by botocore, per request (per page when paginating).

Not handled: MFA-protected roles (no token prompt), ``ExternalId``, role chaining; assumed-role
credentials are not refreshed (the default one-hour duration bounds a run).  Credentials are never
logged or written: only the account id and the role ARN are kept.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from reasoner.collect.errors import CollectError, error_message, fatal, remember_secrets

RETRY_MODES = ("standard", "adaptive")
DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 10
ROLE_SESSION_NAME = "reason-collect"
#: Used for STS and DescribeRegions when no region is configured anywhere.
FALLBACK_REGION = "us-east-1"

# Always used with fullmatch (``$`` would also match before a trailing newline), ASCII only.
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", re.ASCII)
_ROLE_RE = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]+", re.ASCII)
_ACCOUNT_RE = re.compile(r"\d{12}", re.ASCII)
#: What may go wrong building a client or asking STS besides AWS errors: an endpoint that is not AWS
#: (HTML, an empty reply: ResponseParserError), a malformed AWS_ENDPOINT_URL (ValueError).
_CALL_ERRORS = (BotoCoreError, ClientError, ResponseParserError, ValueError)


def client_config(max_pool_connections: int = 10) -> Config:
    """The botocore ``Config`` of every client: retry mode and attempts, timeouts, pool size."""
    mode = os.environ.get("AWS_RETRY_MODE", "").strip().lower()
    if mode not in RETRY_MODES:
        mode = DEFAULT_RETRY_MODE
    try:
        attempts = max(1, int(os.environ.get("AWS_MAX_ATTEMPTS", "")))
    except ValueError:
        attempts = DEFAULT_MAX_ATTEMPTS
    return Config(retries={"mode": mode, "total_max_attempts": attempts}, connect_timeout=10, read_timeout=60,
                  max_pool_connections=max(10, max_pool_connections), user_agent_extra="reason-collect")


def _quick(config: Config) -> Config:
    """``config`` with at most 3 attempts: STS is asked first, and a wrong endpoint should fail fast."""
    retries = dict(config.retries or {})
    retries["total_max_attempts"] = min(3, int(retries.get("total_max_attempts", 3)))
    return config.merge(Config(retries=retries))


def check_region(region: str, where: str = "--region") -> str:
    """``region`` if it is an AWS region name (``eu-west-1``, nothing before or after), else a CollectError."""
    if not isinstance(region, str) or not _REGION_RE.fullmatch(region):
        raise CollectError("collect.bad_region", f"not an AWS region name: {region!r}", location=where,
                           hint="e.g. --region eu-west-1; --all-regions collects every enabled region")
    return region


def check_role_arn(arn: str) -> str:
    """``arn`` if it is an IAM role ARN, else a CollectError."""
    if not _ROLE_RE.fullmatch(arn):
        raise CollectError("collect.bad_role_arn", f"not an IAM role ARN: {arn!r}", location="--role-arn",
                           hint="e.g. arn:aws:iam::222222222222:role/ReasonReadOnly")
    return arn


@dataclass
class Account:
    """One AWS account to collect: its id, a boto3 session for it, and a client cache.

    boto3 sessions are not thread-safe but clients are: clients are made under a lock, once per
    (service, region), then shared by the worker threads.
    """

    account_id: str
    session: boto3.Session
    source: str
    config: Config = field(default_factory=client_config)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str, region: str) -> Any:
        """A (cached) botocore client for ``service`` in ``region``."""
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = self.session.client(service, region_name=region, config=self.config)
            return self._clients[key]


def default_region(session: boto3.Session) -> str | None:
    """``AWS_REGION``, else the session's region (``AWS_DEFAULT_REGION`` or the profile's); checked like ``--region``."""
    if os.environ.get("AWS_REGION"):
        return check_region(os.environ["AWS_REGION"], "AWS_REGION")
    return check_region(session.region_name, "AWS_DEFAULT_REGION or the profile's region") if session.region_name else None


def open_base(profile: str | None) -> boto3.Session:
    """The base session (``--profile`` or ``AWS_PROFILE`` or the default chain)."""
    where = f"profile {profile}" if profile else (f"profile {os.environ['AWS_PROFILE']} (AWS_PROFILE)"
                                                   if os.environ.get("AWS_PROFILE") else "default credentials")
    try:
        session = boto3.Session(profile_name=profile) if profile else boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise CollectError("collect.no_credentials", "no AWS credentials found", location=where,
                               hint="set AWS_PROFILE or pass --profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        remember_secrets(credentials.access_key, credentials.secret_key, credentials.token)
        return session
    except _CALL_ERRORS as exc:
        raise (fatal(exc, where) or CollectError("collect.session", error_message(exc), location=where)) from None


def identify(session: boto3.Session, source: str, config: Config, region: str | None = None) -> Account:
    """The :class:`Account` behind ``session`` (STS GetCallerIdentity, in ``region`` or the default one)."""
    region = region or default_region(session) or FALLBACK_REGION
    try:
        ident = session.client("sts", region_name=region, config=_quick(config)).get_caller_identity()
    except (*_CALL_ERRORS, KeyError, TypeError, AttributeError) as exc:
        raise (fatal(exc, source) or CollectError(
            "collect.identity", f"STS GetCallerIdentity failed: {_describe(exc)}", location=source,
            hint="check the credentials and the network (or AWS_ENDPOINT_URL)")) from None
    account = ident.get("Account") if isinstance(ident, dict) else None
    if not isinstance(account, str) or not _ACCOUNT_RE.fullmatch(account):  # it names a folder: never a path
        raise CollectError("collect.identity", f"STS GetCallerIdentity answered no 12-digit account id: {account!r}"[:300],
                           location=source, hint="is AWS_ENDPOINT_URL an AWS (or moto) endpoint?")
    return Account(account, session, source, config)


def _describe(exc: BaseException) -> str:
    """What went wrong, in one line without credentials; an endpoint that is not AWS is named as such."""
    if isinstance(exc, (ResponseParserError, KeyError, TypeError, AttributeError)):
        return "the endpoint's answer is not an AWS response (HTML, empty or malformed)"
    if isinstance(exc, ValueError) and not isinstance(exc, (BotoCoreError, ClientError)):
        return f"bad endpoint or parameter ({error_message(exc)}); check AWS_ENDPOINT_URL"
    return error_message(exc)


def assume(base: Account, role_arn: str, region: str | None) -> Account:
    """Assume ``role_arn`` from ``base`` and identify the account it opens."""
    check_role_arn(role_arn)
    try:
        sts = base.session.client("sts", region_name=region or FALLBACK_REGION, config=_quick(base.config))
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=ROLE_SESSION_NAME)["Credentials"]
        remember_secrets(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    except (*_CALL_ERRORS, KeyError, TypeError) as exc:
        known = fatal(exc, role_arn)
        if known is not None:
            raise known from None
        raise CollectError("collect.assume_role", f"cannot assume the role: {_describe(exc)}", location=role_arn,
                           hint="the base credentials need sts:AssumeRole on it, and its trust policy must allow them") from None
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=base.session.region_name)
    return identify(session, role_arn, base.config, region)


def enabled_regions(account: Account, region: str | None) -> list[str]:
    """Regions enabled in ``account`` (EC2 DescribeRegions; opt-in regions not opted in are left out)."""
    try:
        answer = account.client("ec2", region or FALLBACK_REGION).describe_regions()
        names = sorted(r["RegionName"] for r in answer.get("Regions", [])
                       if r.get("OptInStatus", "opt-in-not-required") in ("opt-in-not-required", "opted-in"))
    except (*_CALL_ERRORS, KeyError, TypeError, AttributeError) as exc:
        raise (fatal(exc, f"account {account.account_id}") or CollectError(
            "collect.regions", f"EC2 DescribeRegions failed: {_describe(exc)}", location=f"account {account.account_id}",
            hint="pass the regions with --region instead")) from None
    return [check_region(n, "EC2 DescribeRegions") for n in names]  # each names a folder: never a path
