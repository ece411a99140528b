"""Every setting of cloudlet, read once from CLOUDLET_* environment variables and flags."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from cloudlet.engine.concurrency import UNRESERVED_MINIMUM

DEFAULT_ACCOUNT_ID = "000000000000"
DEFAULT_REGION = "us-east-1"
_MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class ConfigError(ValueError):
    """A setting has a value cloudlet cannot use; the message says which and how to fix it."""


@dataclass(frozen=True)
class Credential:
    """An access key cloudlet accepts in strict auth mode, and the account it belongs to."""

    access_key_id: str
    secret_access_key: str
    account_id: str = DEFAULT_ACCOUNT_ID


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    state_dir: Path = field(default_factory=lambda: Path.home() / ".cloudlet")
    # "auto": verify signatures only when bound to a non-loopback address; "strict": always.
    auth: str = "auto"
    credentials: tuple[Credential, ...] = ()
    account_id: str = DEFAULT_ACCOUNT_ID
    default_region: str = DEFAULT_REGION
    # "full" survives a power cut (an fsync per group commit); "normal" only a killed process.
    sync: str = "full"
    max_request_bytes: int = 80 * 1024 * 1024
    log_level: str = "info"
    # Seconds a created or updated Lambda function stays Pending/InProgress (AWS: a few).
    lambda_state_delay: float = 0.0
    # Seconds before an asynchronous invocation's first and second retry after a function
    # error (AWS: about 1 and 2 minutes); tests and development shorten them.
    async_retry_delays: tuple[float, ...] = (60.0, 120.0)
    # How many times faster than the clock asynchronous events age (MaximumEventAgeInSeconds):
    # 60 makes the 60-second minimum pass in a second, for tests.
    async_age_scale: float = 1.0
    # The same for stream records and their event source mappings' MaximumRecordAgeInSeconds.
    stream_age_scale: float = 1.0
    # How many times faster the temporary credentials STS issues run out: 900 makes
    # AssumeRole's 15-minute minimum a second, for tests of expiry.
    sts_duration_scale: float = 1.0
    # Enforce the read and write capacity of DynamoDB's PROVISIONED tables, as AWS does.
    dynamodb_throttling: bool = False
    # How many times faster DynamoDB's windows pass: stream retention (24 hours) and
    # ClientRequestToken idempotency (10 minutes); tests make them seconds.
    dynamodb_window_scale: float = 1.0
    # Seconds a Kinesis stream shows CREATING, UPDATING or DELETING (AWS: seconds to minutes).
    kinesis_state_delay: float = 0.0
    # Enforce each Kinesis shard's write limits (1,000 records and 1 MiB a second), as AWS does.
    kinesis_throttle: bool = False
    # Refuse to run a Python runtime on another version's interpreter (InvalidRuntimeException)
    # instead of running it on the closest one installed, with a warning.
    strict_runtimes: bool = False
    # Lambda's concurrent executions per account and region (AWS: 1,000 unless raised).
    concurrency_limit: int = 1000
    # Modules every Python zygote imports once, so that environments forked from it do not.
    preload: tuple[str, ...] = ("boto3",)
    # Seconds an idle execution environment is kept warm before it is stopped.
    keep_alive: float = 300.0
    # Mount a tmpfs of EphemeralStorage MB on each environment's temporary directory when
    # running as root (off: only each file's size is limited, as when not root).
    tmpfs_storage: bool = True

    @property
    def strict_auth(self) -> bool:
        return self.auth == "strict" or not is_loopback(self.host)

    @property
    def database_path(self) -> Path:
        return self.state_dir / "cloudlet.db"

    def endpoint(self, host: str | None = None) -> str:
        """The URL clients (and functions) reach the server at: `localhost` for 127.0.0.1,
        which is what users type; any other address as it is (127.0.0.2 is loopback too,
        but `localhost` does not reach it)."""
        if host is None:
            host = "localhost" if self.host in ("127.0.0.1", "localhost") else self.host
            host = f"[{host}]" if ":" in host else host  # an IPv6 address
        return f"http://{host}:{self.port}"

    def with_overrides(self, **overrides: object) -> Config:
        """A copy with the given settings replaced; None values are ignored."""
        given = {k: v for k, v in overrides.items() if v is not None}
        if "state_dir" in given:
            given["state_dir"] = Path(str(given["state_dir"])).expanduser()
        return replace(self, **given)._checked()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read every CLOUDLET_* variable; unset ones keep their defaults."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if "CLOUDLET_HOST" in env:
            values["host"] = env["CLOUDLET_HOST"]
        if "CLOUDLET_STATE_DIR" in env:
            values["state_dir"] = Path(env["CLOUDLET_STATE_DIR"]).expanduser()
        for name in ("auth", "account_id", "default_region", "sync", "log_level"):
            key = f"CLOUDLET_{name.upper()}"
            if key in env:
                values[name] = env[key].strip().lower() if name != "account_id" else env[key]
        for key, (name, read) in _READ.items():
            if key in env:
                values[name] = read(env[key], key)
        account = str(values.get("account_id", DEFAULT_ACCOUNT_ID))
        values["credentials"] = tuple(
            parse_credentials(env.get("CLOUDLET_CREDENTIALS", ""), account)
        ) + tuple(_credentials_file(env.get("CLOUDLET_CREDENTIALS_FILE"), account))
        return cls(**values)._checked()  # type: ignore[arg-type]

    def _checked(self) -> Config:
        if self.auth not in ("auto", "strict"):
            raise ConfigError(f"CLOUDLET_AUTH must be 'auto' or 'strict', not {self.auth!r}")
        if self.sync not in ("normal", "full"):
            raise ConfigError(f"CLOUDLET_SYNC must be 'normal' or 'full', not {self.sync!r}")
        if not self.async_retry_delays or min(self.async_retry_delays) < 0:
            raise ConfigError(
                "CLOUDLET_ASYNC_RETRY_DELAYS must be one or more seconds, e.g. 60,120"
            )
        if self.async_age_scale <= 0:
            raise ConfigError(
                f"CLOUDLET_ASYNC_AGE_SCALE must be a positive number, not {self.async_age_scale}"
            )
        if self.dynamodb_window_scale <= 0:
            raise ConfigError(
                "CLOUDLET_DYNAMODB_WINDOW_SCALE must be a positive number,"
                f" not {self.dynamodb_window_scale}"
            )
        if self.stream_age_scale <= 0:
            raise ConfigError(
                f"CLOUDLET_STREAM_AGE_SCALE must be a positive number, not {self.stream_age_scale}"
            )
        if self.sts_duration_scale <= 0:
            raise ConfigError(
                "CLOUDLET_STS_DURATION_SCALE must be a positive number,"
                f" not {self.sts_duration_scale}"
            )
        if self.concurrency_limit < UNRESERVED_MINIMUM:
            raise ConfigError(
                f"CLOUDLET_CONCURRENCY_LIMIT must be at least {UNRESERVED_MINIMUM} (Lambda keeps"
                f" that many unreserved), not {self.concurrency_limit}"
            )
        if self.keep_alive <= 0:
            raise ConfigError(
                f"CLOUDLET_KEEP_ALIVE must be a positive number of seconds, not {self.keep_alive}"
            )
        if bad := [name for name in self.preload if not _MODULE_NAME.fullmatch(name)]:
            raise ConfigError(
                f"CLOUDLET_PRELOAD must name modules separated by commas, not {', '.join(bad)}"
            )
        if not (0 < self.port < 65536):
            raise ConfigError(f"port must be between 1 and 65535, not {self.port}")
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise ConfigError(f"the account id must be 12 digits, not {self.account_id!r}")
        if self.strict_auth and not self.credentials:
            raise ConfigError(
                "strict auth (CLOUDLET_AUTH=strict or a non-loopback --host) needs credentials:"
                " set CLOUDLET_CREDENTIALS=ACCESS_KEY:SECRET or CLOUDLET_CREDENTIALS_FILE"
            )
        return self


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_credentials(text: str, default_account: str) -> list[Credential]:
    """Parse `KEY:SECRET[:ACCOUNT]` entries separated by commas, whitespace or newlines."""
    credentials = []
    for entry in text.replace(",", " ").split():
        if entry.startswith("#"):
            continue
        parts = entry.split(":")
        if len(parts) not in (2, 3) or not all(parts):
            raise ConfigError(
                f"credential entry {entry!r} is not ACCESS_KEY:SECRET or ACCESS_KEY:SECRET:ACCOUNT"
            )
        account = parts[2] if len(parts) == 3 else default_account
        if not (len(account) == 12 and account.isdigit()):
            raise ConfigError(
                f"the account of credential {parts[0]} must be 12 digits, not {account!r}"
            )
        credentials.append(Credential(parts[0], parts[1], account))
    return credentials


def _credentials_file(path: str | None, default_account: str) -> list[Credential]:
    if not path:
        return []
    try:
        lines = Path(path).expanduser().read_text().splitlines()
    except OSError as error:
        raise ConfigError(
            f"cannot read CLOUDLET_CREDENTIALS_FILE {path}: {error.strerror}"
        ) from None
    kept = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return parse_credentials("\n".join(kept), default_account)


def parse_modules(text: str) -> tuple[str, ...]:
    """Module names separated by commas (`boto3,requests`); empty: none."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _flag(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "on")


def _int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {text!r}") from None


def _float(text: str, name: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {text!r}") from None


def _delays(text: str, name: str) -> tuple[float, ...]:
    """Seconds separated by commas: `60,120`."""
    return tuple(_float(part.strip(), name) for part in text.split(",") if part.strip())


def _flag_setting(text: str, name: str) -> bool:
    return _flag(text)


# The settings read from one CLOUDLET_* variable each: the field, and how its text is read
# (given the text and the variable's name, for the error message).
_READ: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "CLOUDLET_PORT": ("port", _int),
    "CLOUDLET_MAX_REQUEST_BYTES": ("max_request_bytes", _int),
    "CLOUDLET_LAMBDA_STATE_DELAY": ("lambda_state_delay", _float),
    "CLOUDLET_ASYNC_RETRY_DELAYS": ("async_retry_delays", _delays),
    "CLOUDLET_ASYNC_AGE_SCALE": ("async_age_scale", _float),
    "CLOUDLET_STREAM_AGE_SCALE": ("stream_age_scale", _float),
    "CLOUDLET_STS_DURATION_SCALE": ("sts_duration_scale", _float),
    "CLOUDLET_DYNAMODB_THROTTLING": ("dynamodb_throttling", _flag_setting),
    "CLOUDLET_DYNAMODB_WINDOW_SCALE": ("dynamodb_window_scale", _float),
    "CLOUDLET_KINESIS_STATE_DELAY": ("kinesis_state_delay", _float),
    "CLOUDLET_KINESIS_THROTTLE": ("kinesis_throttle", _flag_setting),
    "CLOUDLET_STRICT_RUNTIMES": ("strict_runtimes", _flag_setting),
    "CLOUDLET_CONCURRENCY_LIMIT": ("concurrency_limit", _int),
    "CLOUDLET_PRELOAD": ("preload", lambda text, _: parse_modules(text)),
    "CLOUDLET_KEEP_ALIVE": ("keep_alive", _float),
    "CLOUDLET_TMPFS": ("tmpfs_storage", _flag_setting),
}
