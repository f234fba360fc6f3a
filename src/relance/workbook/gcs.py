"""A workbook kept as an .xlsx object in Cloud Storage: `gs://bucket/path/book.xlsx`.

The object is downloaded to a local copy and read and rebuilt there by the .xlsx backend (calamine
for reading, relance's tabs written as zip parts of their own: the user's tabs come out byte for
byte). What local files get from the kernel, Cloud Storage gives through generations:

- every read remembers the generation it downloaded; every write uploads with
  `if_generation_match=<the generation last read or written>`, so a write made on top of a
  version someone else has replaced fails with 412 and nothing is overwritten (WorkbookLocked,
  "changed since it was read"). The run's first write, History rows `pending` before anything
  leaves, is therefore a compare-and-swap: when it fails, nothing is sent and the next run
  rereads;
- the run lock is a lease object `<book>.lock`, created with `if_generation_match=0` (only one
  run can create it), renewed at each write, deleted at the end of the run with the generation
  it was written at; a crashed instance's lease expires (`lease_seconds`) and the next run takes
  it over by another compare-and-swap on the lease's own generation;
- `changed_since_read()` compares the live generation.

Transient failures (429, 5xx, a dropped connection) are retried by the client's own bounded retry
(google-cloud-storage DEFAULT_RETRY, exponential back-off within a deadline). Uploads carry a
generation precondition, so retrying them is safe: should a retried upload meet a 412 because its
first attempt was applied and only the answer lost, the object's MD5 is compared with what was
sent and the write is recognised as ours.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import tempfile
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from relance.engine.catalog import console
from relance.engine.errors import WorkbookError, WorkbookLocked
from relance.engine.formats import Moment
from relance.engine.i18n import Said
from relance.engine.sheets import OwnedTab, RawSheet
from relance.workbook.xlsx import XlsxBackend

SCHEME = "gs://"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSM_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.12"
#: The largest object downloaded: the local copy lives in the temporary folder, which is memory
#: in Cloud Functions (a 100,000-invoice workbook is some 10 MB).
MAX_OBJECT_BYTES = 512 << 20
LEASE_SUFFIX = ".lock"


@dataclass(frozen=True)
class GcsConfig:
    """How relance talks to Cloud Storage (connect.py fills it from the environment)."""

    #: How long a run's lease holds when its instance dies without releasing it.
    lease_seconds: float = 900.0
    #: The client's retry: first wait, longest wait, and the deadline of all the attempts.
    retry_wait: float = 1.0
    retry_max_wait: float = 32.0
    retry_deadline: float = 120.0
    #: Seconds the client waits for one answer.
    timeout: float = 60.0


def parse_url(url: str) -> tuple[str, str]:
    """`gs://bucket/path/book.xlsx` -> ("bucket", "path/book.xlsx"); a WorkbookError otherwise."""
    rest = url[len(SCHEME):] if url.startswith(SCHEME) else ""
    bucket, _, name = rest.partition("/")
    if not bucket or not name or name.endswith("/") or not name.lower().endswith((".xlsx", ".xlsm")):
        raise WorkbookError(console.GCS_BAD_URL(url=url), console.GCS_BAD_URL_FIX())
    return bucket, name


class _LocalCopy(XlsxBackend):
    """The .xlsx backend on the downloaded copy. It keeps no backups of its own: the copy lives
    in a temporary folder, and the bucket's object versioning keeps the previous versions."""

    def _backup(self, link: bool = False) -> Path:
        return self.path

    def _prune_backups(self, now: dt.datetime | None = None) -> None:
        return None


@dataclass
class _Lease:
    generation: int
    token: str
    expires: str


class GcsBackend:
    """A workbook stored as an .xlsx object in a Cloud Storage bucket."""

    def __init__(self, url: str, config: GcsConfig | None = None, client: Any = None) -> None:
        self.bucket_name, self.name = parse_url(url)
        self.location = url
        self.config = config or GcsConfig()
        self._client = client
        folder = tempfile.mkdtemp(prefix="relance-gcs-")
        self._finalizer = weakref.finalize(self, shutil.rmtree, folder, True)
        self._copy = _LocalCopy(Path(folder) / PurePosixPath(self.name).name)
        #: The generation the local copy holds (None: no copy, or one that is no longer the object's).
        self._generation: int | None = None
        #: The generation the last read saw (our own writes move it along).
        self._read_generation: int | None = None
        self._lease: _Lease | None = None
        self._bucket_handle: Any = None
        self._content_type = XLSM_TYPE if self.name.lower().endswith(".xlsm") else XLSX_TYPE

    @property
    def lease_name(self) -> str:
        return self.name + LEASE_SUFFIX

    @property
    def lease_url(self) -> str:
        return f"{SCHEME}{self.bucket_name}/{self.lease_name}"

    @property
    def local_path(self) -> Path:
        """Where the local copy is (a temporary folder, removed with the backend)."""
        return self._copy.path

    # ---------------------------------------------------------------- the client

    def _bucket(self) -> Any:
        if self._bucket_handle is None:
            try:
                from google.cloud import storage
            except ImportError:
                raise WorkbookError(console.GCS_MISSING_LIBRARY(url=self.location),
                                    console.GCS_MISSING_LIBRARY_FIX()) from None
            if self._client is None:
                from google.auth.exceptions import DefaultCredentialsError

                try:
                    # No project: reading and writing objects needs none (the bucket is named).
                    self._client = storage.Client(project=None)
                except (DefaultCredentialsError, OSError, ValueError) as exc:
                    raise WorkbookError(console.GCS_NO_CREDENTIALS(url=self.location, cause=_first_line(exc)),
                                        console.GCS_NO_CREDENTIALS_FIX(bucket=self.bucket_name)) from None
            self._bucket_handle = self._client.bucket(self.bucket_name)
        return self._bucket_handle

    def _retry(self) -> Any:
        from google.cloud.storage.retry import DEFAULT_RETRY

        c = self.config
        return DEFAULT_RETRY.with_delay(initial=c.retry_wait, maximum=max(c.retry_wait, c.retry_max_wait)) \
            .with_timeout(c.retry_deadline)

    def _failure(self, exc: BaseException, saving: bool = False) -> WorkbookError:
        """What a client error means for the person running relance."""
        from google.api_core import exceptions as api

        url, bucket = self.location, self.bucket_name
        if isinstance(exc, api.NotFound):
            return WorkbookError(console.GCS_NOT_FOUND(url=url, bucket=bucket),
                                 console.GCS_NOT_FOUND_FIX(url=url, bucket=bucket))
        if isinstance(exc, api.Forbidden | api.Unauthorized):
            return WorkbookError(console.GCS_FORBIDDEN(url=url, cause=_api_message(exc)),
                                 console.GCS_FORBIDDEN_FIX(bucket=bucket))
        cause = _api_message(exc) if isinstance(exc, api.GoogleAPICallError) else _first_line(exc)
        if saving:
            return WorkbookError(console.GCS_NOT_SAVED(url=url, cause=cause), console.GCS_NOT_SAVED_FIX())
        return WorkbookError(console.GCS_UNREACHABLE(url=url, cause=cause), console.GCS_UNREACHABLE_FIX())

    @contextmanager
    def _calls(self, saving: bool = False) -> Iterator[None]:
        """Client errors said as WorkbookErrors (the CLI shows them without a traceback)."""
        from google.api_core import exceptions as api
        from google.auth import exceptions as auth

        try:
            yield
        except WorkbookError:
            raise
        except auth.DefaultCredentialsError as exc:
            raise WorkbookError(console.GCS_NO_CREDENTIALS(url=self.location, cause=_first_line(exc)),
                                console.GCS_NO_CREDENTIALS_FIX(bucket=self.bucket_name)) from None
        except (api.GoogleAPICallError, api.RetryError, auth.GoogleAuthError, OSError, ValueError) as exc:
            raise self._failure(exc, saving) from None
        except Exception as exc:  # requests' and the media layer's errors have no common base
            if type(exc).__module__.startswith(("requests", "urllib3", "google")):
                raise self._failure(exc, saving) from None
            raise

    def live_generation(self) -> int:
        """The object's generation now (one metadata request)."""
        return int(self._metadata().generation)

    def _metadata(self) -> Any:
        blob = self._bucket().blob(self.name)
        with self._calls():
            blob.reload(retry=self._retry(), timeout=self.config.timeout)
        return blob

    # ---------------------------------------------------------------- read

    def read(self, wanted: Callable[[str], bool] | None = None) -> list[RawSheet]:
        """Download the object (unless the local copy already holds its live generation) and
        read it as the .xlsx backend does; the generation read is the one every write expects."""
        self._fetch()
        sheets = self._copy.read(wanted)
        self._read_generation = self._generation
        return sheets

    def _fetch(self) -> None:
        found = self._metadata()
        generation = int(found.generation)
        self._content_type = found.content_type or self._content_type
        if generation == self._generation and self._copy.path.exists():
            return
        size = int(found.size or 0)
        if size > MAX_OBJECT_BYTES:
            raise WorkbookError(console.GCS_TOO_LARGE(url=self.location, size=f"{size:,}",
                                                      limit=f"{MAX_OBJECT_BYTES:,}"), console.BOOK_TOO_LARGE_FIX())
        pinned = self._bucket().blob(self.name, generation=generation)
        part = self._copy.path.with_name(self._copy.path.name + ".part")
        with self._calls():
            pinned.download_to_filename(str(part), retry=self._retry(), timeout=self.config.timeout)
        os.replace(part, self._copy.path)
        self._generation = generation

    def changed_since_read(self) -> bool:
        """Whether the object's live generation differs from the one last read or written."""
        if self._read_generation is None:
            return True
        try:
            return self.live_generation() != self._read_generation
        except WorkbookError:
            return True  # cannot tell: re-read (which says what is wrong)

    # ---------------------------------------------------------------- write

    def write(self, tabs: Sequence[OwnedTab]) -> None:
        """Rebuild the local copy with these tabs, then upload it on condition that the object is
        still the generation last read or written; a 412 refuses the write (nothing overwritten)."""
        tabs = list(tabs)
        if not tabs:
            return
        if self._generation is None:
            if self._read_generation is not None:  # a refused write left the copy behind the object
                raise self._changed(self._read_generation)
            self._fetch()
        expected = self._generation
        assert expected is not None
        self._copy.write(tabs)
        self._generation = None  # the copy is ahead of the object until the upload lands
        self._renew_lease()
        blob = self._bucket().blob(self.name)
        from google.api_core import exceptions as api

        with self._calls(saving=True):
            try:
                blob.upload_from_filename(str(self._copy.path), content_type=self._content_type,
                                          if_generation_match=expected, retry=self._retry(),
                                          timeout=self.config.timeout)
                generation = int(blob.generation)
            except api.PreconditionFailed:
                found = self._ours_after_all()
                if found is None:
                    raise self._changed(expected) from None
                generation = found
        if self._read_generation == expected:
            self._read_generation = generation  # our own save is not a change to re-read
        self._generation = generation

    def _ours_after_all(self) -> int | None:
        """The live generation when the object holds exactly the bytes just uploaded (a retried
        upload whose first attempt was applied, its answer lost); None when someone else's."""
        blob = self._bucket().blob(self.name)
        with suppress(Exception):
            blob.reload(retry=self._retry(), timeout=self.config.timeout)
            if blob.md5_hash and blob.md5_hash == _md5(self._copy.path):
                return int(blob.generation)
        return None

    def _changed(self, expected: int) -> WorkbookLocked:
        try:
            live: int | str = self.live_generation()
        except WorkbookError:
            live = "?"
        return WorkbookLocked(console.GCS_CHANGED(url=self.location, read=expected, live=live),
                              console.GCS_CHANGED_FIX())

    # ---------------------------------------------------------------- run lock: a lease object

    @contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold the lease `<book>.lock` for the run: created only if absent (generation 0), taken
        over only when expired and only at the generation read, deleted at that generation."""
        if self._lease is not None:
            expires = Moment(self._lease.expires, utc=True)
            raise WorkbookLocked(console.GCS_LOCKED(url=self.location, holder="", expires=expires),
                                 console.GCS_LOCKED_FIX(lock=self.lease_url, expires=expires))
        self._lease = self._acquire()
        try:
            yield
        finally:
            lease, self._lease = self._lease, None
            if lease is not None:
                with suppress(Exception):  # gone or taken over: it is no longer ours to delete
                    self._bucket().blob(self.lease_name).delete(if_generation_match=lease.generation,
                                                                retry=self._retry(), timeout=self.config.timeout)

    def _lease_body(self, token: str) -> tuple[bytes, str]:
        now = dt.datetime.now(dt.UTC)
        expires = (now + dt.timedelta(seconds=self.config.lease_seconds)).isoformat(timespec="seconds")
        body = {"token": token, "pid": os.getpid(), "host": socket.gethostname(),
                "started": now.isoformat(timespec="seconds"), "expires": expires, "workbook": self.location}
        return json.dumps(body).encode(), expires

    def _put_lease(self, token: str, if_generation_match: int) -> _Lease | None:
        """Write the lease on condition; None when the condition failed (someone else's lease)."""
        from google.api_core import exceptions as api

        blob = self._bucket().blob(self.lease_name)
        body, expires = self._lease_body(token)
        with self._calls(saving=True):
            try:
                blob.upload_from_string(body, content_type="application/json",
                                        if_generation_match=if_generation_match, retry=self._retry(),
                                        timeout=self.config.timeout)
            except api.PreconditionFailed:
                held = self._read_lease()
                if held is not None and held[1].get("token") == token:  # a retry after our write landed
                    return _Lease(held[0], token, str(held[1].get("expires", expires)))
                return None
        return _Lease(int(blob.generation), token, expires)

    def _read_lease(self) -> tuple[int, dict[str, Any]] | None:
        """The lease's generation and content, None when there is none."""
        from google.api_core import exceptions as api

        blob = self._bucket().blob(self.lease_name)
        with self._calls():
            try:
                raw = blob.download_as_bytes(retry=self._retry(), timeout=self.config.timeout)
            except api.NotFound:
                return None
        try:
            info = json.loads(raw)
        except ValueError:
            info = {}
        return int(blob.generation), info if isinstance(info, dict) else {}

    def _acquire(self) -> _Lease:
        token = uuid.uuid4().hex
        for _ in range(3):
            lease = self._put_lease(token, 0)
            if lease is not None:
                return lease
            held = self._read_lease()
            if held is None:
                continue  # released meanwhile: try again
            generation, info = held
            expires = str(info.get("expires", ""))
            if not _expired(expires):
                holder = console.GCS_HOLDER(pid=info.get("pid", "?"), host=info.get("host", "?"),
                                            started=Moment(str(info.get("started", "?")), utc=True))
                raise WorkbookLocked(console.GCS_LOCKED(url=self.location, holder=holder, expires=Moment(expires, utc=True)),
                                     console.GCS_LOCKED_FIX(lock=self.lease_url, expires=Moment(expires, utc=True)))
            lease = self._put_lease(token, generation)  # expired: take it over, if nobody else did
            if lease is not None:
                return lease
        raise WorkbookLocked(console.GCS_LOCKED(url=self.location, holder="", expires="?"),
                             console.GCS_LOCKED_FIX(lock=self.lease_url, expires="?"))

    def _renew_lease(self) -> None:
        """Push the lease's expiry on before a write; a lease lost to another run stops the write."""
        lease = self._lease
        if lease is None:
            return
        renewed = self._put_lease(lease.token, lease.generation)
        if renewed is None:
            self._lease = None
            raise WorkbookLocked(console.GCS_LEASE_LOST(url=self.location, lock=self.lease_url),
                                 console.GCS_CHANGED_FIX())
        self._lease = renewed


def _expired(expires: str) -> bool:
    try:
        moment = dt.datetime.fromisoformat(expires)
    except ValueError:
        return True  # a lease nobody can read protects nothing
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment <= dt.datetime.now(dt.UTC)


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode()


def _api_message(exc: Any) -> Said | str:
    """The service's own words for an error ("403 ... Permission 'storage.objects.get' denied"),
    without the request's address."""
    errors = getattr(exc, "errors", None) or []
    found = next((e.get("message") for e in errors if isinstance(e, dict) and e.get("message")), None)
    text = _first_line(found or getattr(exc, "message", "") or exc)
    code = getattr(exc, "code", None)
    return f"{int(code)} {text}" if code else text


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return line[:300]
