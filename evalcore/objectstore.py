"""A workspace on object storage (`s3://bucket/prefix`, AWS or any S3-compatible server such as MinIO).

Only the primitives live here: which URIs are remote, the pyarrow S3 filesystem built from the standard AWS
settings, whole-object writes, listing and reads. `evalcore.store` decides what goes where (the layout).

Why pyarrow's S3 filesystem and not s3fs: it ships with pyarrow (no new dependency), and s3fs pulls an
aiobotocore that pins an older botocore, which would move litellm's boto3. DuckDB reads the same objects through
`duckdb_filesystem`, an fsspec wrapper of this filesystem registered on the connection (httpfs cannot be
installed here).

A write is one `write()` of the complete, already serialised object followed by `close()`: a small object is
one PUT, a large one a multipart upload that S3 makes visible only on completion. A process killed before that
leaves nothing visible (an unfinished multipart upload is invisible; a bucket lifecycle rule reclaims it).
Credentials come from the environment (or `.streamlit/secrets.toml`) at connection time and are never stored.
"""

from __future__ import annotations

import hashlib
import os
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.fs as pafs

from evalcore.errors import StoreError

SCHEME = "s3://"
# Where the endpoint of an S3-compatible server (MinIO, moto, Ceph...) is read from, first found wins.
ENDPOINT_VARS = ("EVALCORE_S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
_SECRETS_FILE = Path(".streamlit/secrets.toml")


def is_remote(location: str | os.PathLike[str] | None) -> bool:
    """True for an `s3://` URI (a workspace, or a file inside one)."""
    return isinstance(location, str) and location.startswith(SCHEME)


def setting(name: str) -> str | None:
    """An environment variable, else a top-level value of `.streamlit/secrets.toml` (read, never exported)."""
    value = os.environ.get(name)
    if value:
        return value
    try:
        data = tomllib.loads(_SECRETS_FILE.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return None
    found = data.get(name)
    return found if isinstance(found, str) and found else None


@dataclass(frozen=True)
class S3Settings:
    """What a connection needs. `fingerprint` identifies it without holding a secret (for caches)."""

    endpoint: str | None
    region: str
    access_key: str | None
    secret_key: str | None
    session_token: str | None

    @classmethod
    def from_environment(cls) -> S3Settings:
        endpoint = next((v for v in (setting(n) for n in ENDPOINT_VARS) if v), None)
        region = setting("AWS_REGION") or setting("AWS_DEFAULT_REGION") or "us-east-1"
        key, secret, token = (setting(n) for n in _CREDENTIAL_VARS)
        return cls(endpoint, region, key, secret, token)

    @property
    def fingerprint(self) -> str:
        raw = "\0".join(str(x) for x in (self.endpoint, self.region, self.access_key, self.secret_key,
                                         self.session_token))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]

    def filesystem(self) -> pafs.S3FileSystem:
        kwargs: dict[str, Any] = {"region": self.region, "connect_timeout": 10, "request_timeout": 60}
        if self.endpoint:
            parsed = urlparse(self.endpoint)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise StoreError(f"the S3 endpoint '{self.endpoint}' is not an http(s) URL.",
                                 hint="Set EVALCORE_S3_ENDPOINT (or AWS_ENDPOINT_URL) to e.g. http://127.0.0.1:9000.")
            kwargs.update(endpoint_override=parsed.netloc + parsed.path.rstrip("/"), scheme=parsed.scheme)
        if self.access_key and self.secret_key:
            kwargs.update(access_key=self.access_key, secret_key=self.secret_key, session_token=self.session_token)
        return pafs.S3FileSystem(**kwargs)


_CONNECTIONS: dict[tuple[str, str], ObjectStore] = {}
_CONNECTIONS_LOCK = threading.Lock()


def connect(uri: str) -> ObjectStore:
    """The object store of a workspace URI, one per (bucket and prefix, settings) per process."""
    settings = S3Settings.from_environment()
    key = (uri.rstrip("/"), settings.fingerprint)
    with _CONNECTIONS_LOCK:
        found = _CONNECTIONS.get(key)
        if found is None:
            found = _CONNECTIONS[key] = ObjectStore(uri, settings)
        return found


class ObjectStore:
    """One workspace prefix in one bucket. Keys are relative POSIX paths ('runs/S/R.json')."""

    def __init__(self, uri: str, settings: S3Settings) -> None:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc or parsed.query or parsed.fragment or "@" in parsed.netloc:
            raise StoreError(f"'{uri}' is not a workspace URI of the form s3://bucket/prefix.",
                             hint="Credentials never go in the URI: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.uri = f"{SCHEME}{self.bucket}/{self.prefix}".rstrip("/")
        self.settings = settings
        self.fs = settings.filesystem()
        self._duck: Any = None

    # -- names --------------------------------------------------------------------------------------------
    def path(self, key: str) -> str:
        """The filesystem path (bucket/prefix/key) of a key."""
        return "/".join(p for p in (self.bucket, self.prefix, key.strip("/")) if p)

    def uri_of(self, key: str) -> str:
        return SCHEME + self.path(key)

    def key_of(self, location: str) -> str:
        """The key of an `s3://` URI or filesystem path inside this store."""
        path = location[len(SCHEME):] if location.startswith(SCHEME) else location
        base = self.path("")
        if path != base and not path.startswith(base + "/"):
            raise StoreError(f"internal: {location} is outside the workspace {self.uri}.")
        return path[len(base):].lstrip("/")

    # -- reads --------------------------------------------------------------------------------------------
    def info(self, key: str) -> pafs.FileInfo:
        return self._call(self.fs.get_file_info, self.path(key))

    def exists(self, key: str) -> bool:
        return self.info(key).type == pafs.FileType.File

    def read_bytes(self, key: str) -> bytes:
        """The whole object; FileNotFoundError when there is none."""
        try:
            with self.fs.open_input_stream(self.path(key)) as f:
                return bytes(f.readall())
        except FileNotFoundError:
            raise
        except OSError as exc:
            if "NoSuchKey" in str(exc) or "does not exist" in str(exc) or "Path does not exist" in str(exc):
                raise FileNotFoundError(self.uri_of(key)) from None
            raise self._error(exc) from None

    def list(self, key: str) -> list[pafs.FileInfo]:
        """Every object under a key prefix (recursive); [] when there is none."""
        selector = pafs.FileSelector(self.path(key), recursive=True, allow_not_found=True)
        return [i for i in self._call(self.fs.get_file_info, selector) if i.type == pafs.FileType.File]

    # -- writes -------------------------------------------------------------------------------------------
    def put(self, key: str, data: bytes | pa.Buffer) -> None:
        """Write a complete object: one write of all its bytes, then close (see the module docstring)."""
        try:
            out = self.fs.open_output_stream(self.path(key))
            out.write(data)
            out.close()
        except OSError as exc:
            raise self._error(exc) from None

    def delete(self, key: str) -> None:
        try:
            self.fs.delete_file(self.path(key))
        except FileNotFoundError:
            pass
        except OSError as exc:
            if "NoSuchKey" not in str(exc) and "does not exist" not in str(exc):
                raise self._error(exc) from None

    def move(self, src: str, dst: str) -> None:
        """Copy then delete (S3 has no rename): both names may exist for a moment, never a partial object."""
        try:
            self.fs.copy_file(self.path(src), self.path(dst))
        except OSError as exc:
            raise self._error(exc) from None
        self.delete(src)

    # -- DuckDB -------------------------------------------------------------------------------------------
    def duckdb_filesystem(self) -> Any:
        """An fsspec filesystem over this store answering `s3://` paths, for `con.register_filesystem`."""
        if self._duck is None:
            from fsspec.implementations.arrow import ArrowFSWrapper

            class _S3(ArrowFSWrapper):  # type: ignore[misc]
                protocol = ("s3",)
                # fsspec caches instances by arguments; each store wraps its own filesystem
                cachable = False

            self._duck = _S3(self.fs)
        return self._duck

    # -- errors -------------------------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except OSError as exc:
            raise self._error(exc) from None

    def _error(self, exc: OSError) -> StoreError:
        first = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        where = f" at {self.settings.endpoint}" if self.settings.endpoint else ""
        return StoreError(
            f"cannot reach the workspace {self.uri}{where}: {first}.",
            hint="Check the bucket exists and the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, in the "
                 "environment or .streamlit/secrets.toml) and, for MinIO or another S3-compatible server, "
                 "EVALCORE_S3_ENDPOINT.")


def spool_dir(uri: str) -> Path:
    """The local folder beside a remote workspace: worker journals, label journals, dashboard-made suites.
    $EVALCORE_SPOOL, else ~/.cache/evalcore/spool; one subfolder per workspace URI, so a rerun on the same machine
    finds the journals a killed run left and uploads them."""
    base = Path(os.environ.get("EVALCORE_SPOOL") or Path(os.environ.get("XDG_CACHE_HOME") or
                                                          Path.home() / ".cache") / "evalcore" / "spool")
    parsed = urlparse(uri)
    readable = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{parsed.netloc}_{parsed.path.strip('/')}")
    return base / f"{readable[:60]}-{hashlib.sha256(uri.rstrip('/').encode('utf-8')).hexdigest()[:10]}"
