"""A faithful local Cloud Storage (the JSON API paths google-cloud-storage uses) on loopback.

The real client reaches it through STORAGE_EMULATOR_HOST (anonymous credentials, no project).
What it serves, as the JSON API documents it:

- object metadata: GET /storage/v1/b/<bucket>/o/<object> (JSON with generation, metageneration,
  size, md5Hash, crc32c, mediaLink);
- media download: GET /download/storage/v1/b/<bucket>/o/<object>?alt=media (also the
  /storage/v1/... path with alt=media), with X-Goog-Generation, X-Goog-Metageneration and
  X-Goog-Hash headers (the client checks the hash), `generation=` to pin a version, Range;
- uploads: POST /upload/storage/v1/b/<bucket>/o?uploadType=media|multipart|resumable, then PUT
  chunks (Content-Range, 308 with Range until the last one) for a resumable session; the
  checksum the client sends (crc32c or md5Hash in the metadata, x-goog-hash on the last chunk)
  is verified (400 on a mismatch);
- DELETE /storage/v1/b/<bucket>/o/<object>.

Every request honours ifGenerationMatch (0: the object must not exist), ifGenerationNotMatch and
ifMetagenerationMatch: 412 conditionNotMet when the object does not match, as Cloud Storage does.
Generations only increase. A missing bucket or object is 404 with the service's words; a bucket
in `denied` answers 403 to everything.

Faults, each consumed once by the first request of its `op` (metadata, download, upload,
delete; "any" matches all) on its object (`name`, or any): "503" (answered 503, nothing done), "429", "412" (answered 412,
nothing done), "503-after" (the upload is applied, then 503 answered: the client retries it and
meets its own new generation), "edit" (another writer stores `data`, or the same bytes again, as a
new version just before this request is handled: a real race, answered by the precondition).
`skip` lets that many matching requests through first.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

try:
    import google_crc32c
except ImportError:  # pragma: no cover - comes with google-cloud-storage
    google_crc32c = None

FIRST_GENERATION = 1_764_000_000_000_000  # microseconds, as real generations are


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def crc32c_b64(data: bytes) -> str | None:
    if google_crc32c is None:
        return None
    return base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()


@dataclass
class StoredObject:
    data: bytes
    generation: int
    metageneration: int = 1
    content_type: str = "application/octet-stream"


@dataclass
class Fault:
    op: str  # metadata | download | upload | delete | any
    kind: str  # 503 | 429 | 412 | 503-after | edit
    data: bytes = b""  # what the other writer stores, for "edit"
    name: str = ""  # only requests for this object ("": any)
    skip: int = 0  # matching requests let through before this one


@dataclass
class Request:
    method: str
    op: str
    bucket: str
    name: str
    query: dict[str, str]


@dataclass
class FakeGcs:
    buckets: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    objects: dict[tuple[str, str], StoredObject] = field(default_factory=dict)
    #: Every version ever stored (bucket, name) -> [(generation, data)], oldest first.
    history: dict[tuple[str, str], list[tuple[int, bytes]]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _generation: int = FIRST_GENERATION
    _sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    # ------------------------------------------------------------------ test helpers

    def put(self, bucket: str, name: str, data: bytes) -> int:
        """Store a new version (as another writer would) and return its generation."""
        with self.lock:
            self.buckets.add(bucket)
            return self._store(bucket, name, data, "application/octet-stream").generation

    def get(self, bucket: str, name: str) -> StoredObject | None:
        with self.lock:
            return self.objects.get((bucket, name))

    def uploads(self, name: str | None = None) -> list[Request]:
        return [r for r in self.requests if r.op == "upload" and (name is None or r.name == name)]

    def _store(self, bucket: str, name: str, data: bytes, content_type: str) -> StoredObject:
        self._generation += 1 + len(self.objects) % 7  # increasing, not consecutive
        old = self.objects.get((bucket, name))
        obj = StoredObject(data, self._generation, 1, content_type or (old.content_type if old else ""))
        self.objects[(bucket, name)] = obj
        self.history.setdefault((bucket, name), []).append((obj.generation, data))
        return obj

    # ------------------------------------------------------------------ server

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                with suppress(ConnectionError):  # a client that went away (a killed process)
                    super().handle()

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ answers

    @staticmethod
    def _json(h: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(body).encode() if body is not None else b""
        h.send_response(status)
        if body is not None:
            h.send_header("Content-Type", "application/json; charset=UTF-8")
        h.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(raw)

    def _error(self, h: BaseHTTPRequestHandler, status: int, message: str, reason: str) -> None:
        self._json(h, status, {"error": {"code": status, "message": message,
                                         "errors": [{"message": message, "domain": "global", "reason": reason}]}})

    def _resource(self, bucket: str, name: str, obj: StoredObject) -> dict[str, Any]:
        path = f"b/{bucket}/o/{quote(name, safe='')}"
        body: dict[str, Any] = {
            "kind": "storage#object", "id": f"{bucket}/{name}/{obj.generation}", "bucket": bucket,
            "name": name, "generation": str(obj.generation), "metageneration": str(obj.metageneration),
            "contentType": obj.content_type, "size": str(len(obj.data)), "md5Hash": md5_b64(obj.data),
            "etag": md5_b64(f"{obj.generation}.{obj.metageneration}".encode()),
            "selfLink": f"{self.url}/storage/v1/{path}",
            "mediaLink": f"{self.url}/download/storage/v1/{path}?generation={obj.generation}&alt=media",
            "storageClass": "STANDARD",
        }
        crc = crc32c_b64(obj.data)
        if crc:
            body["crc32c"] = crc
        return body

    def _precondition(self, q: dict[str, str], obj: StoredObject | None) -> bool:
        """Whether the request's preconditions hold for the live object (None: there is none)."""
        generation = obj.generation if obj else 0
        if "ifGenerationMatch" in q and int(q["ifGenerationMatch"]) != generation:
            return False
        if "ifGenerationNotMatch" in q and int(q["ifGenerationNotMatch"]) == generation:
            return False
        return not ("ifMetagenerationMatch" in q and (obj is None or int(q["ifMetagenerationMatch"])
                                                         != obj.metageneration))

    def _fault(self, op: str, name: str) -> Fault | None:
        for i, fault in enumerate(self.faults):
            if fault.op in (op, "any") and fault.name in ("", name):
                if fault.skip:
                    fault.skip -= 1
                    return None
                return self.faults.pop(i)
        return None

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(h.path)
        q = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        m = re.fullmatch(r"/(?:(download|upload)/)?storage/v1/b/([^/]+)/o(?:/(.+))?", url.path)
        if m is None:
            return self._error(h, 404, f"Not Found: {url.path}", "notFound")
        prefix, bucket, name = m.group(1), unquote(m.group(2)), unquote(m.group(3) or "")
        if prefix == "upload" or (method == "POST" and not name):
            op = "upload"
            name = name or q.get("name", "") or _upload_name(q.get("uploadType", ""),
                                                             h.headers.get("Content-Type", ""), body)
        elif method == "DELETE":
            op = "delete"
        elif method == "GET" and (prefix == "download" or q.get("alt") == "media"):
            op = "download"
        elif method == "GET":
            op = "metadata"
        else:
            return self._error(h, 405, "Method not allowed", "methodNotAllowed")
        with self.lock:
            if method == "PUT" and "upload_id" in q:
                session = self._sessions.get(q["upload_id"])
                bucket, name = (session["bucket"], session["name"]) if session else (bucket, name)
            self.requests.append(Request(method, op, bucket, name, q))
            fault = self._fault(op, name)
            if fault is not None and fault.kind in ("503", "429"):
                return self._error(h, int(fault.kind), "Backend Error" if fault.kind == "503" else
                                   "The rate of change requests to the object is too high.",
                                   "backendError" if fault.kind == "503" else "rateLimitExceeded")
            if fault is not None and fault.kind == "412":
                return self._error(h, 412, "At least one of the pre-conditions you specified did not hold.",
                                   "conditionNotMet")
            if fault is not None and fault.kind == "edit":
                current = self.objects.get((bucket, name))
                self._store(bucket, name, fault.data or (current.data if current else b""), "application/octet-stream")
            if bucket in self.denied:
                return self._error(h, 403, "anonymous caller does not have storage.objects.get access to the "
                                   "Google Cloud Storage object. Permission 'storage.objects.get' denied on "
                                   "resource (or it may not exist).", "forbidden")
            if bucket not in self.buckets:
                return self._error(h, 404, "The specified bucket does not exist.", "notFound")
            if op == "upload":
                return self._upload(h, method, bucket, name, q, body, fault)
            obj = self.objects.get((bucket, name))
            if obj is None:
                return self._error(h, 404, f"No such object: {bucket}/{name}", "notFound")
            if "generation" in q and int(q["generation"]) != obj.generation:
                older = dict(self.history.get((bucket, name), [])).get(int(q["generation"]))
                if older is None or op != "download":
                    return self._error(h, 404, f"No such object: {bucket}/{name}", "notFound")
                obj = StoredObject(older, int(q["generation"]))
            if not self._precondition(q, obj):
                return self._error(h, 412, "At least one of the pre-conditions you specified did not hold.",
                                   "conditionNotMet")
            if op == "metadata":
                return self._json(h, 200, self._resource(bucket, name, obj))
            if op == "delete":
                del self.objects[(bucket, name)]
                return self._json(h, 204, None)
            return self._media(h, obj)

    def _media(self, h: BaseHTTPRequestHandler, obj: StoredObject) -> None:
        data, status, extra = obj.data, 200, {}
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", h.headers.get("Range", ""))
        if wanted:
            start = int(wanted.group(1))
            end = int(wanted.group(2)) if wanted.group(2) else len(data) - 1
            extra["Content-Range"] = f"bytes {start}-{end}/{len(obj.data)}"
            data, status = data[start:end + 1], 206
        hashes = [f"md5={md5_b64(obj.data)}"]
        crc = crc32c_b64(obj.data)
        if crc:
            hashes.insert(0, f"crc32c={crc}")
        h.send_response(status)
        h.send_header("Content-Type", obj.content_type)
        h.send_header("Content-Length", str(len(data)))
        h.send_header("X-Goog-Generation", str(obj.generation))
        h.send_header("X-Goog-Metageneration", str(obj.metageneration))
        h.send_header("X-Goog-Hash", ",".join(hashes))
        h.send_header("X-Goog-Stored-Content-Length", str(len(obj.data)))
        for k, v in extra.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _upload(self, h: BaseHTTPRequestHandler, method: str, bucket: str, name: str, q: dict[str, str],
                body: bytes, fault: Fault | None) -> None:
        kind = q.get("uploadType", "")
        if method == "PUT":
            return self._chunk(h, q, body, fault)
        metadata: dict[str, Any] = {}
        if kind == "media":
            data, content_type = body, h.headers.get("Content-Type", "")
        elif kind == "multipart":
            parsed = _multipart(h.headers.get("Content-Type", ""), body)
            if parsed is None:
                return self._error(h, 400, "Invalid multipart request", "invalid")
            metadata, data, content_type = parsed
            name = metadata.get("name", name)
        elif kind == "resumable":
            metadata = json.loads(body or b"{}")
            name = metadata.get("name", name) or q.get("name", "")
            if not name:
                return self._error(h, 400, "Required", "required")
            if not self._precondition(q, self.objects.get((bucket, name))):
                return self._error(h, 412, "At least one of the pre-conditions you specified did not hold.",
                                   "conditionNotMet")
            upload_id = uuid.uuid4().hex
            self._sessions[upload_id] = {
                "bucket": bucket, "name": name, "query": q, "data": bytearray(),
                "content_type": h.headers.get("X-Upload-Content-Type") or metadata.get("contentType", ""),
                "metadata": metadata,
            }
            location = f"{self.url}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={upload_id}"
            return self._json(h, 200, None, {"Location": location})
        else:
            return self._error(h, 400, f"Invalid uploadType: {kind}", "invalidParameter")
        if not name:
            return self._error(h, 400, "Required", "required")
        return self._finish(h, bucket, name, q, data, content_type, metadata, fault)

    def _chunk(self, h: BaseHTTPRequestHandler, q: dict[str, str], body: bytes, fault: Fault | None) -> None:
        session = self._sessions.get(q.get("upload_id", ""))
        if session is None:
            return self._error(h, 404, "No such upload session", "notFound")
        got = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", h.headers.get("Content-Range", ""))
        if got is None:
            return self._error(h, 400, "Invalid Content-Range", "invalid")
        data: bytearray = session["data"]
        if got.group(1) is not None:
            start = int(got.group(1))
            if start != len(data):
                return self._json(h, 308, None, {"Range": f"bytes=0-{len(data) - 1}"} if data else {})
            data.extend(body)
        total = got.group(3)
        if total == "*" or int(total) != len(data):
            return self._json(h, 308, None, {"Range": f"bytes=0-{len(data) - 1}"} if data else {})
        sent_hash = h.headers.get("x-goog-hash", "")
        metadata = dict(session["metadata"])
        if sent_hash.startswith("crc32c="):
            metadata["crc32c"] = sent_hash.split("=", 1)[1]
        elif sent_hash.startswith("md5="):
            metadata["md5Hash"] = sent_hash.split("=", 1)[1]
        del self._sessions[q["upload_id"]]
        return self._finish(h, session["bucket"], session["name"], session["query"], bytes(data),
                            session["content_type"], metadata, fault)

    def _finish(self, h: BaseHTTPRequestHandler, bucket: str, name: str, q: dict[str, str], data: bytes,
                content_type: str, metadata: dict[str, Any], fault: Fault | None) -> None:
        if "md5Hash" in metadata and metadata["md5Hash"] != md5_b64(data):
            return self._error(h, 400, "Provided MD5 hash doesn't match calculated MD5 hash.", "invalid")
        crc = crc32c_b64(data)
        if "crc32c" in metadata and crc is not None and metadata["crc32c"] != crc:
            return self._error(h, 400, "Provided CRC32C doesn't match calculated CRC32C.", "invalid")
        if not self._precondition(q, self.objects.get((bucket, name))):
            return self._error(h, 412, "At least one of the pre-conditions you specified did not hold.",
                               "conditionNotMet")
        obj = self._store(bucket, name, data, content_type or metadata.get("contentType", ""))
        if fault is not None and fault.kind == "503-after":
            return self._error(h, 503, "Backend Error", "backendError")
        return self._json(h, 200, self._resource(bucket, name, obj))


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], bytes, str] | None:
    """The metadata, media and media type of a multipart/related upload body."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/related") or found is None:
        return None
    sep = b"--" + found.group(1).encode()
    pieces = body.split(sep)
    # ["", meta part, media part, "--\r\n" or "--"]
    if len(pieces) < 4:
        return None
    try:
        meta_head, meta = pieces[1].split(b"\r\n\r\n", 1)
        media_head, media = pieces[2].split(b"\r\n\r\n", 1)
        metadata = json.loads(meta.strip())
    except ValueError:
        return None
    if media.endswith(b"\r\n"):
        media = media[:-2]
    media_type = ""
    for line in media_head.decode("latin-1").split("\r\n"):
        if line.lower().startswith("content-type:"):
            media_type = line.split(":", 1)[1].strip()
    return metadata, media, media_type


def _upload_name(kind: str, content_type: str, body: bytes) -> str:
    """The object name an upload names in its metadata (multipart, resumable), "" if none."""
    try:
        if kind == "multipart":
            parsed = _multipart(content_type, body)
            return str(parsed[0].get("name", "")) if parsed else ""
        if kind == "resumable" and body:
            return str(json.loads(body).get("name", ""))
    except (ValueError, AttributeError):
        return ""
    return ""
