"""The sandbox's aiohttp application: Higgsfield-shaped routes over a :class:`SandboxState`.

URLs in answers are built from the request's own Host header, so the sandbox works behind any
address it is reached at. Uploads imitate a presigned S3 PUT (no auth, XML errors).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import uuid
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Awaitable, Callable
from urllib.parse import quote, urlsplit

from aiohttp import web

from .images import render_png
from .state import UPLOAD_TYPES, fingerprint
from .validation import expires_after_error, idempotency_key_error, marker_fault, validate_body

if TYPE_CHECKING:
    from . import Sandbox

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RESERVED = ("requests", "files", "estimate", "upload", "results")
NOT_FOUND_REQUEST = "Request does not exist or belongs to another account"
TAGGING = "retention=temporary"
SLOW_DELAY = 1.5
PNGS_KEPT = 512  # rendered results kept (~70 KB each at 1024 px): one per key of the jobs in flight


def detail(message: Any, status: int) -> web.Response:
    return web.json_response({"detail": message}, status=status)


def s3_error(code: str, message: str, status: int) -> web.Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return web.Response(text=body, status=status, content_type="application/xml")


def base_of(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = detail(exc.reason, exc.status)
    response.headers["X-Correlation-ID"] = str(uuid.uuid4())
    return response


class SandboxRoutes:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.state = sandbox.state
        self._pngs: OrderedDict[tuple, asyncio.Future[bytes]] = OrderedDict()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[correlation_middleware], client_max_size=64 * 1024 * 1024)
        r = app.router
        r.add_post("/files/generate-upload-url", self.generate_upload_url)
        r.add_put("/upload/{token}", self.put_upload)
        r.add_get("/files/{name}", self.get_file)
        r.add_get("/results/{request_id}/{name}", self.get_result)
        r.add_get("/requests/{request_id}/status", self.status)
        r.add_post("/requests/{request_id}/cancel", self.cancel)
        r.add_post("/estimate/{application:.+}", self.estimate)
        r.add_post("/{application:.+}", self.submit)
        return app

    # --- helpers ----------------------------------------------------------------------
    def authorized(self, request: web.Request) -> bool:
        o = self.sb.options
        expected = f"Key {o.key_id}:{o.key_secret}"
        header = request.headers.get("Authorization", "")
        if header and hmac.compare_digest(header.encode(), expected.encode()):
            return True
        key, secret = request.headers.get("hf-api-key", ""), request.headers.get("hf-secret", "")
        return bool(key and secret) and hmac.compare_digest(f"{key}:{secret}".encode(),
                                                            f"{o.key_id}:{o.key_secret}".encode())

    def fetchable(self, request: web.Request, url: str) -> bool | None:
        parts = urlsplit(url)
        ours = {request.host, urlsplit(self.sb.base_url).netloc}
        if parts.netloc not in ours or not parts.path.startswith("/files/"):
            return None
        token, _, ext = parts.path[len("/files/"):].partition(".")
        upload = self.state.uploads.get(token)
        return upload is not None and upload.ext == ext and upload.data is not None

    async def parse(self, request: web.Request) -> tuple[str, Any, web.Response | None]:
        """(application, body, error response). Checks the path, the model and the body."""
        application = request.match_info["application"]
        if application.split("/", 1)[0] in RESERVED:
            return application, None, detail("Not Found", 404)
        apps = self.sb.options.applications
        spec = self.sb.default_spec if apps is None else apps.get(application)
        if spec is None:
            return application, None, detail("Model not found", 404)
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError as exc:
            return application, None, detail([{"type": "json_invalid", "loc": ["body", getattr(exc, "pos", 0)],
                                               "msg": "JSON decode error", "input": {},
                                               "ctx": {"error": str(exc).split(":")[0]}}], 422)
        if body is None:
            return application, None, detail([{"type": "missing", "loc": ["body"], "msg": "Field required",
                                               "input": None}], 422)
        errors = validate_body(body, spec, lambda url: self.fetchable(request, url))
        return application, body, detail(errors, 422) if errors else None

    # --- generation -------------------------------------------------------------------
    async def submit(self, request: web.Request) -> web.Response:
        self.state.stats.submit_attempts += 1
        if not self.authorized(request):
            return detail("Invalid credentials", 401)
        key = request.headers.get("Idempotency-Key")
        header_errors = [e for e in (
            idempotency_key_error(key) if key is not None else None,
            expires_after_error(request.headers["Hf-Expires-After"]) if "Hf-Expires-After" in request.headers
            else None,
        ) if e]
        if header_errors:
            return detail(header_errors, 422)
        application, body, problem = await self.parse(request)
        if problem is not None:
            return problem
        webhook = request.query.get("hf_webhook")
        if webhook is not None and urlsplit(webhook).scheme not in ("http", "https"):
            return detail([{"type": "url_parsing", "loc": ["query", "hf_webhook"],
                            "msg": "Input should be a valid URL", "input": webhook}], 422)

        print_ = fingerprint(application, body, webhook)
        if key is not None and key in self.state.idempotency:
            stored, request_id = self.state.idempotency[key]
            if stored != print_:
                return detail("Idempotency-Key has already been used with different parameters", 422)
            self.state.stats.replays += 1
            return web.json_response(self.state.status_object(self.state.requests[request_id]))

        fault = marker_fault(body["prompt"]) or self.sb.options.fault
        limit = self.sb.options.concurrency_limit
        if fault == "server_error" and self.state.fail_once("submit", key or print_):
            return detail("Service temporarily unavailable", 503)
        if fault == "credits":
            return detail("Not enough credits", 403)
        if fault == "unauthorized":  # like gateways that quote the rejected header, URL-encoded
            return detail(f"Invalid credentials (Authorization: {quote(request.headers.get('Authorization', ''))})", 401)
        if fault == "concurrency" or (limit is not None and self.state.active_count() >= limit):
            return detail(f"Maximum number of concurrent requests ({limit or 4}) has been reached", 400)

        record = self.state.add(application, body, base_url=base_of(request),
                                service_time=self.sb.options.service_time, fault=fault, webhook=webhook,
                                idempotency_key=key, key_fingerprint=print_)
        if webhook is not None:
            self.sb.watch_webhook(record)
        for index in range(record.num_images):  # made while it "generates", as Higgsfield's are:
            self.render(self.png_key(record, index))  # a download then costs what a CDN's does
        answer = self.state.status_object(record)
        return web.json_response({"status": "queued", "request_id": record.request_id,
                                  "status_url": answer["status_url"], "cancel_url": answer["cancel_url"]})

    async def estimate(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return detail("Invalid credentials", 401)
        _, body, problem = await self.parse(request)
        if problem is not None:
            return problem
        n = body.get("num_images", 1)
        return web.json_response({"credits": f"{1.5 * n:.3f}", "usd": f"{0.094 * n:.3f}"})

    async def status(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return detail("Invalid credentials", 401)
        record = self.state.get(request.match_info["request_id"])
        if record is None:
            return detail(NOT_FOUND_REQUEST, 404)
        self.state.stats.status_calls[record.request_id] += 1
        record.status_calls += 1
        # Exchange faults follow a prompt marker, else the live option (tests flip it at runtime).
        fault = marker_fault(record.prompt) or self.sb.options.fault
        if fault == "slow":
            await asyncio.sleep(SLOW_DELAY)
        if fault == "server_error" and self.state.fail_once("status", record.request_id):
            return detail("Service temporarily unavailable", 503)
        if fault == "malformed" and self.state.fail_once("malformed", record.request_id):
            return web.Response(text="<html>oops</html>", content_type="text/html")
        return web.json_response(self.state.status_object(record))

    async def cancel(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return detail("Invalid credentials", 401)
        record = self.state.get(request.match_info["request_id"])
        if record is None:
            return detail(NOT_FOUND_REQUEST, 404)
        status = self.state.status(record)
        if status == "queued":
            self.state.force(record, "canceled")
            self.state.stats.cancels += 1
            return web.Response(status=202)
        if status == "in_progress":
            return detail("Request cannot be canceled: it has already started", 400)
        return detail(f"Request cannot be canceled: it is already {status}", 400)

    async def get_result(self, request: web.Request) -> web.StreamResponse:
        record = self.state.get(request.match_info["request_id"])
        stem, _, ext = request.match_info["name"].partition(".")
        if (record is None or ext != "png" or not stem.isdigit() or int(stem) >= record.num_images
                or self.state.status(record) != "completed"):
            return detail("Not Found", 404)
        options, file_id = self.sb.options, f"{record.request_id}/{stem}"
        if (marker_fault(record.prompt) or options.fault) == "result_gone":
            return detail("The file has expired and was deleted", 410)
        if self.state.fail_times("result_503", file_id, options.result_failures):
            return detail("Service temporarily unavailable", 503)
        png = await self.png(self.png_key(record, int(stem)))
        if self.state.fail_times("result_reset", file_id, options.result_resets):
            return await self.reset_midway(request, png)
        if self.state.fail_times("result_html", file_id, options.result_html_pages):
            return web.Response(text="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html")
        if self.state.fail_times("result_cut", file_id, options.result_cut_short):
            return web.Response(body=png[: len(png) // 2], content_type="image/png")
        self.state.stats.downloads += 1
        return web.Response(body=png, content_type="image/png")

    async def reset_midway(self, request: web.Request, png: bytes) -> web.StreamResponse:
        """Announce the whole file, send half of it, then drop the connection."""
        response = web.StreamResponse(headers={"Content-Type": "image/png"})
        response.content_length = len(png)
        await response.prepare(request)
        await response.write(png[: len(png) // 2])
        assert request.transport is not None
        request.transport.abort()
        return response

    def png_key(self, record, index: int) -> tuple:
        return record.prompt, record.aspect_ratio, self.sb.options.image_long_side, index, record.num_images

    def render(self, key: tuple) -> asyncio.Future[bytes]:
        """One render per key (started at the submit), however many downloads ask for it."""
        future = self._pngs.get(key)
        if future is None:
            future = self._pngs[key] = asyncio.get_running_loop().run_in_executor(None, render_png, *key)
            future.add_done_callback(lambda f: f.cancelled() or f.exception())  # retried by png() if it failed
            while len(self._pngs) > PNGS_KEPT:
                self._pngs.popitem(last=False)
        return future

    async def png(self, key: tuple) -> bytes:
        try:
            return await asyncio.shield(self.render(key))
        except Exception:
            self._pngs.pop(key, None)
            raise

    # --- uploads ----------------------------------------------------------------------
    async def generate_upload_url(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return detail("Invalid credentials", 401)
        try:
            body = await request.json()
        except ValueError:
            body = None
        content_type = body.get("content_type") if isinstance(body, dict) else None
        if content_type not in UPLOAD_TYPES:
            expected = ", ".join(repr(t) for t in UPLOAD_TYPES)
            return detail([{"type": "literal_error" if content_type else "missing",
                            "loc": ["body", "content_type"], "input": content_type,
                            "msg": f"Input should be {expected}" if content_type else "Field required"}], 422)
        upload = self.state.new_upload(content_type)
        base = base_of(request)
        return web.json_response({
            "public_url": f"{base}/files/{upload.token}.{upload.ext}",
            "upload_url": f"{base}/upload/{upload.token}",
            "content_type": content_type,
            "upload_headers": {"Content-Type": content_type, "x-amz-tagging": TAGGING},
        })

    async def put_upload(self, request: web.Request) -> web.Response:
        if "Authorization" in request.headers:
            return s3_error("InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                            "query parameter, Signature query string parameter or the Authorization header "
                            "should be specified", 400)
        upload = self.state.uploads.get(request.match_info["token"])
        if upload is None:
            return s3_error("SignatureDoesNotMatch", "The request signature we calculated does not match "
                            "the signature you provided.", 403)
        if self.state.upload_expired(upload):
            return s3_error("AccessDenied", "Request has expired", 403)
        if (request.headers.get("Content-Type", "").strip() != upload.content_type
                or request.headers.get("x-amz-tagging") != TAGGING):
            return s3_error("SignatureDoesNotMatch", "The request signature we calculated does not match "
                            "the signature you provided. Check your key and signing method.", 403)
        upload.data = await request.read()
        self.state.stats.uploads += 1
        return web.Response(status=200)

    async def get_file(self, request: web.Request) -> web.Response:
        token, _, ext = request.match_info["name"].partition(".")
        upload = self.state.uploads.get(token)
        if upload is None or upload.ext != ext or upload.data is None:
            return detail("Not Found", 404)
        return web.Response(body=upload.data, content_type=upload.content_type)
