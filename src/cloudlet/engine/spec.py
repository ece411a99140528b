"""What an execution environment needs to know about the function version it runs."""

from __future__ import annotations

import datetime
import math
import sys
from dataclasses import dataclass, field
from typing import Any

# Where cloudlet itself is installed: its environment and every import root it loaded from.
SERVER_PATHS = (sys.prefix, *sys.path)


@dataclass(frozen=True)
class FunctionSpec:
    """One function version as the engine sees it: code, handler, limits, identity.

    Built by the Lambda service from a function's configuration. `revision` changes whenever
    code or configuration does, so environments of an older revision are retired.
    """

    function_name: str
    version: str  # "$LATEST" or a published version number
    function_arn: str  # unqualified
    runtime: str
    handler: str
    code_dir: str
    opt_dir: str | None  # the function's layers, merged in order (Lambda's /opt)
    memory_size: int
    timeout: float
    region: str
    account_id: str
    endpoint: str  # AWS_ENDPOINT_URL inside the function: back to cloudlet
    tmp_dir: str  # parent of each environment's private temporary directory
    revision: str
    python: tuple[int, int] = (3, 11)
    ephemeral_storage: int = 512  # MB: the size of its temporary directory (see storage.py)
    environment: dict[str, str] = field(default_factory=dict)
    # The execution role's session: key, secret, session token ("test" keys and no token
    # when nothing issued any); renewed (a new spec) from `credentials_renew_at` on.
    credentials: tuple[str, str, str] = ("test", "test", "")
    credentials_renew_at: float = math.inf
    initialization_type: str = "on-demand"  # or "provisioned-concurrency"
    # Fork environments from a snapshot taken after the init (SnapStart): the init runs once
    # per revision, not once per environment.
    snapshot: bool = False

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def key(self) -> tuple[str, str]:
        """Environments are pooled per function version."""
        return (self.function_arn, self.version)

    def log_stream_name(self, environment_id: str) -> str:
        day = datetime.datetime.now(datetime.UTC).strftime("%Y/%m/%d")
        return f"{day}/[{self.version}]{environment_id}"

    def tmp_path(self, environment_id: str) -> str:
        """The environment's private temporary directory where it cannot have a /tmp of
        its own (see storage.py)."""
        return f"{self.tmp_dir}/{environment_id}"

    def host_paths(self) -> list[str]:
        """The host's directories the environment runs from (a private /tmp binds back
        those that lie under the host's /tmp): its code and layers, and cloudlet's own
        installation, whose interpreter, bootstrap and packages (boto3's data files, read
        lazily) runtimes use after the fork."""
        return [self.code_dir, *([self.opt_dir] if self.opt_dir else []), *SERVER_PATHS]

    def python_sys_path(self) -> list[str]:
        major, minor = self.python
        paths = [self.code_dir]
        if self.opt_dir:
            paths += [
                f"{self.opt_dir}/python",
                f"{self.opt_dir}/python/lib/python{major}.{minor}/site-packages",
            ]
        return paths

    def search_paths(self) -> dict[str, str]:
        """PATH, LD_LIBRARY_PATH and (Node.js) NODE_PATH as Lambda sets them, the layers'
        `bin/`, `lib/` and `nodejs/.../node_modules` in /opt's place."""
        opt = [self.opt_dir] if self.opt_dir else []
        paths = {
            "PATH": ":".join(["/usr/local/bin", "/usr/bin", "/bin", *(f"{o}/bin" for o in opt)]),
            "LD_LIBRARY_PATH": ":".join(
                [self.code_dir, f"{self.code_dir}/lib", *(f"{o}/lib" for o in opt)]
            ),
        }
        if self.runtime.startswith("nodejs"):
            major = self.runtime.removeprefix("nodejs").split(".")[0]
            modules = [f"{o}/nodejs/node{major}/node_modules" for o in opt]
            modules += [f"{o}/nodejs/node_modules" for o in opt]
            paths["NODE_PATH"] = ":".join([*modules, self.code_dir])
        return paths

    def process_environment(
        self, environment_id: str, *, private_tmp: bool = False
    ) -> dict[str, str]:
        """Lambda's reserved environment variables, under the function's own (which may
        replace the unreserved ones: PATH, LANG, TZ...); TMPDIR is /tmp when the
        environment has a /tmp of its own (`private_tmp`), else its directory."""
        key, secret, token = self.credentials
        env = {
            **self.search_paths(),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
            **self.environment,
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream_name(environment_id),
            "AWS_LAMBDA_INITIALIZATION_TYPE": self.initialization_type,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.runtime}",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
            "LAMBDA_TASK_ROOT": self.code_dir,
            "LAMBDA_RUNTIME_DIR": self.code_dir,
            "_HANDLER": self.handler,
            "TMPDIR": "/tmp" if private_tmp else self.tmp_path(environment_id),
        }
        if token:
            env["AWS_SESSION_TOKEN"] = token
        return env

    def bootstrap_spec(self, environment_id: str, max_file_bytes: int | None) -> dict[str, Any]:
        """What the zygote's child needs to become this function's environment. None for
        `max_file_bytes`: it mounts a tmpfs of EphemeralStorage MB on its own /tmp; else its
        temporary directory is made by the server and each file it writes is kept under
        that size."""
        private_tmp = max_file_bytes is None
        return {
            "env": self.process_environment(environment_id, private_tmp=private_tmp),
            "task_root": self.code_dir,
            "sys_path": self.python_sys_path(),
            "handler": self.handler,
            "max_file_bytes": max_file_bytes,
            "tmpfs_megabytes": self.ephemeral_storage if private_tmp else None,
            "keep": self.host_paths(),
        }
