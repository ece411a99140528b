"""Function and layer code: zips stored by content, unpacked once, layers merged into /opt.

Under `<state_dir>/lambda/`: `code/<sha256>.zip` (the package as uploaded, what GetFunction's
Code.Location serves), `code/<sha256>/` (unpacked, file modes kept: a `bootstrap` stays
executable), and `opt/<key>/` (a function's layers merged in order, Lambda's /opt). Two
functions with the same zip share one copy. Everything here blocks on disk: call it from a
thread (`asyncio.to_thread`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import uuid
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.lambda_.errors import CODE_SIZE_UNZIPPED, invalid_parameter

CODE_URL_PATH = "/_cloudlet/lambda/code/"  # + <sha256>.zip: GetFunction's Code.Location
CORRUPT_ZIP = "Could not unzip uploaded file. Please check your file, then try to upload again."
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Code:
    """A stored deployment package, or a local directory (cloudlet's development extension)."""

    sha256: str  # CodeSha256: base64 of the zip's SHA-256
    digest: str  # the same hash in hex: where the package is stored
    size: int  # CodeSize: the zip's bytes
    unzipped: int  # its bytes once unpacked
    local_dir: str | None = None

    def to_row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Code:
        return cls(**row)


def archive_file(state_dir: Path, name: str) -> Path | None:
    """The stored package `name` (`<sha256>.zip`) names, if there is one."""
    digest = name.removesuffix(".zip")
    if len(digest) != 64 or not name.endswith(".zip") or not _is_hex(digest):
        return None
    path = state_dir / "lambda" / "code" / name
    return path if path.is_file() else None


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def code_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.code = root / "code"
        self.opt = root / "opt"
        self.tmp = root / "tmp"  # parent of the environments' private temporary directories

    def archive(self, digest: str) -> Path:
        return self.code / f"{digest}.zip"

    def directory(self, code: Code) -> str:
        return code.local_dir or str(self.code / code.digest)

    # -- storing ----------------------------------------------------------------------------

    def store_zip(self, data: bytes) -> Code:
        """Check and keep a zip; raise Lambda's error for a corrupt or oversized one."""
        digest = hashlib.sha256(data).hexdigest()
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            entries = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise invalid_parameter(CORRUPT_ZIP) from None
        unzipped = sum(entry.file_size for entry in entries)
        if unzipped > CODE_SIZE_UNZIPPED:
            raise invalid_parameter(
                f"Unzipped size must be smaller than {CODE_SIZE_UNZIPPED} bytes"
            )
        for entry in entries:
            _check_entry_name(entry.filename)
        target = self.code / digest
        if not target.is_dir():
            self.code.mkdir(parents=True, exist_ok=True)
            staging = self.code / f".{uuid.uuid4().hex}"
            try:
                _unpack(archive, entries, staging)
                _write_atomically(self.archive(digest), data)
                try:
                    staging.rename(target)
                except OSError:  # the same package, stored meanwhile by another request
                    shutil.rmtree(staging, ignore_errors=True)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        elif not self.archive(digest).exists():
            _write_atomically(self.archive(digest), data)
        return Code(code_sha256(data), digest, len(data), unzipped)

    def local(self, path: str) -> Code:
        """A function whose code is a directory on this machine, read where it is."""
        directory = Path(path)
        if not directory.is_absolute() or not directory.is_dir():
            raise invalid_parameter(
                f"cloudlet: local code directory {path} does not exist (give an absolute path to"
                " a directory as S3Key with S3Bucket 'cloudlet-local')"
            )
        text = str(directory.resolve()).encode()
        return Code(code_sha256(text), hashlib.sha256(text).hexdigest(), 0, 0, str(directory))

    def merged_layers(self, layers: list[Code]) -> str | None:
        """One directory holding the layers' files, later layers over earlier ones (/opt)."""
        if not layers:
            return None
        target = self.opt / self.opt_key(layers)
        if target.is_dir():
            return str(target)
        self.opt.mkdir(parents=True, exist_ok=True)
        staging = self.opt / f".{uuid.uuid4().hex}"
        try:
            for layer in layers:
                shutil.copytree(self.directory(layer), staging, symlinks=True, dirs_exist_ok=True)
            try:
                staging.rename(target)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return str(target)

    def collect(self, keep: set[str]) -> None:
        """Remove stored packages no function version or layer refers to any more."""
        if self.code.is_dir():
            for path in self.code.iterdir():
                digest = path.name.removesuffix(".zip")
                if digest in keep or path.name.startswith("."):
                    continue
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        # Merged layer directories are rebuilt on demand: drop them all but the ones in use.
        if self.opt.is_dir():
            for path in self.opt.iterdir():
                if path.name not in keep:
                    shutil.rmtree(path, ignore_errors=True)

    @staticmethod
    def opt_key(layers: list[Code]) -> str:
        """The name of the merged directory of these layers, in this order."""
        return hashlib.sha256(" ".join(layer.digest for layer in layers).encode()).hexdigest()


def _check_entry_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise ServiceError(
            "InvalidParameterValueException",
            f"{CORRUPT_ZIP} (cloudlet: the entry '{name}' would unpack outside the function's"
            " directory)",
        )


def _unpack(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], target: Path) -> None:
    """Unpack with the files' modes; symbolic links last, so that no file is written through one."""
    target.mkdir(parents=True)
    links: list[tuple[Path, str]] = []
    try:
        for entry in entries:
            path = target / entry.filename
            mode = entry.external_attr >> 16
            if entry.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                links.append((path, archive.read(entry).decode("utf-8")))
                continue
            with archive.open(entry) as source, open(path, "wb") as sink:
                shutil.copyfileobj(source, sink, _COPY_CHUNK)
            # Zips made without Unix modes (on Windows) get what Lambda gives them: 644.
            permissions = stat.S_IMODE(mode) if mode else 0o644
            os.chmod(path, permissions | stat.S_IRUSR)
        for path, destination in links:
            parent = path.parent.resolve()
            if not parent.is_relative_to(target.resolve()):
                raise ServiceError(
                    "InvalidParameterValueException",
                    f"{CORRUPT_ZIP} (cloudlet: the link '{path.name}' is inside another link)",
                )
            os.symlink(destination, path)
    except (zipfile.BadZipFile, zlib.error, EOFError, UnicodeDecodeError, NotImplementedError):
        raise invalid_parameter(CORRUPT_ZIP) from None
    except OSError:  # entries in each other's way: a file and a directory of one name...
        raise invalid_parameter(CORRUPT_ZIP) from None


def _write_atomically(path: Path, data: bytes) -> None:
    staging = path.with_name(f".{uuid.uuid4().hex}")
    staging.write_bytes(data)
    staging.rename(path)
