"""A fake carrier for tests: an HTTP transport for twilio.rest.Client that never leaves the process,
and webhook signing done exactly as Twilio does it.

Inject it with app.config["TWILIO_HTTP_CLIENT"] (and app.config["TWILIO_MEDIA_SESSION"] for recording
media). The real twilio library still builds every request, so tests assert on what would have been sent.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token"
API_KEY = "SK" + "0" * 31 + "2"
API_SECRET = "test-api-secret-long-enough-for-hs256"
TWIML_APP_SID = "AP" + "0" * 31 + "3"
CALLER_ID = "+12125550100"
PUBLIC_BASE_URL = "https://console.example.com"


def twilio_config(http_client, **overrides) -> dict:
    """App settings for a configured Twilio account that talks to `http_client` only."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_KEY": API_KEY,
        "TWILIO_API_SECRET": API_SECRET,
        "TWILIO_TWIML_APP_SID": TWIML_APP_SID,
        "TWILIO_CALLER_ID": CALLER_ID,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_HTTP_CLIENT": http_client,
        **overrides,
    }


@dataclass
class RecordedRequest:
    method: str
    url: str
    params: dict
    data: dict
    auth: tuple | None


@dataclass
class _Queued:
    status: int
    body: str
    method: str | None
    url_contains: str | None
    failure: Exception | None = None


@dataclass
class FakeTwilioHttp(HttpClient):
    """Records every request and answers from a queue; an unexpected request fails the test loudly."""

    requests: list[RecordedRequest] = field(default_factory=list)
    _queue: list[_Queued] = field(default_factory=list)

    def __post_init__(self):
        super().__init__(logging.getLogger("tests.fake_twilio"), is_async=False)

    def queue(self, status: int, body: dict | str, *, method: str | None = None, url_contains: str | None = None):
        text = body if isinstance(body, str) else json.dumps(body)
        self._queue.append(_Queued(status, text, method, url_contains))
        return self

    def fail(self, failure: Exception, *, url_contains: str | None = None):
        """The next matching request raises, as the real transport does when the network is down."""
        self._queue.append(_Queued(0, "", None, url_contains, failure))
        return self

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        self.requests.append(RecordedRequest(method.upper(), url, dict(params or {}), dict(data or {}), auth))
        for index, queued in enumerate(self._queue):
            if (queued.method in (None, method.upper())) and (queued.url_contains is None or queued.url_contains in url):
                del self._queue[index]
                if queued.failure is not None:
                    raise queued.failure
                return Response(queued.status, queued.body, {"Content-Type": "application/json"})
        raise AssertionError(f"Unexpected Twilio request: {method} {url} {data or params}")

    @property
    def last(self) -> RecordedRequest:
        return self.requests[-1]


def call_resource(sid: str, status: str = "queued", **fields) -> dict:
    """A Call resource as the REST API returns it (the fields the console reads)."""
    return {"sid": sid, "account_sid": ACCOUNT_SID, "status": status, "direction": "outbound-api",
            "to": fields.pop("to", "+15550001111"), "from": fields.pop("from_", CALLER_ID),
            "duration": fields.pop("duration", None), **fields}


def error_body(code: int, message: str, status: int = 400) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def signature(url: str, params: dict, auth_token: str = AUTH_TOKEN) -> str:
    return RequestValidator(auth_token).compute_signature(url, params)


def signed_post(client, path: str, params: dict, *, base_url: str = PUBLIC_BASE_URL, auth_token: str = AUTH_TOKEN):
    """POST a webhook the way Twilio does: form-encoded, signed over the public URL and the parameters."""
    headers = {"X-Twilio-Signature": signature(base_url + path, params, auth_token)}
    return client.post(path, data=params, headers=headers)


class FakeMediaResponse:
    def __init__(self, status_code: int, content: bytes, content_type: str):
        self.status_code, self.content = status_code, content
        self.headers = {"Content-Type": content_type, "Content-Length": str(len(content))}

    def iter_content(self, chunk_size: int = 8192):
        for start in range(0, len(self.content), chunk_size):
            yield self.content[start:start + chunk_size]

    def close(self):
        pass


@dataclass
class FakeMediaSession:
    """Stands in for requests.Session when the console fetches recording audio from Twilio."""

    content: bytes = b"ID3fake-mp3"
    status_code: int = 200
    gets: list[tuple[str, tuple | None]] = field(default_factory=list)

    def get(self, url, auth=None, stream=False, timeout=None):
        self.gets.append((url, auth))
        return FakeMediaResponse(self.status_code, self.content, "audio/mpeg")

