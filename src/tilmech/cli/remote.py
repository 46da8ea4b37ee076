"""The remote CLI: ``tilmech --server URL`` runs the review, inbox, status and release commands through
a Tilmech server's JSON API, as the user of the API token in ``$TILMECH_TOKEN`` (like Weblate's ``wlc``).

The answers are read back into the services' own values (:func:`decode`), so that the commands print
exactly what they print locally; the server's errors (``{"error": {"status", "type", "message"}}``)
become the same exceptions as locally, hence the same one line and exit code. A server out of
reach is exit 3, naming the URL. Imported only when ``--server`` is given: local commands never load
httpx.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import types
import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from .. import errors

if TYPE_CHECKING:
    from ..publish import PublishReport
    from ..services import (
        Approval,
        BulkApproval,
        InboxItem,
        ReleaseDiff,
        ReleaseInfo,
        ReviewItem,
        SegmentView,
    )

T = TypeVar("T")
TIMEOUT = httpx.Timeout(15.0, read=600.0)  # publishing a release may take minutes


def server_url(url: str) -> str:
    """``url`` checked (http or https, with a host) and without its trailing slash; a usage error otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.UsageError(f"--server {url}: give the workbench's address, e.g. https://tilmech.example.org "
                                "(http or https)")
    return url.strip().rstrip("/")


# -- JSON back into the services' values -----------------------------------------------------------------

@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(kind: Any, data: Any) -> Any:
    """``data`` (JSON) as a value of type ``kind``: frozen dataclasses (members the type lacks are left
    out), tuples, lists, dicts, enums, datetimes and optional values, as the type hints say."""
    if data is None:
        return None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return decode(next(a for a in args if a is not type(None)), data)
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = _hints(kind)
        return kind(**{f.name: decode(hints[f.name], data[f.name]) for f in dataclasses.fields(kind)
                       if f.init and f.name in data})
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(decode(item, v) for v in data)
    if origin is list:
        return [decode(args[0] if args else Any, v) for v in data]
    if origin is dict:
        value = args[1] if len(args) > 1 else Any
        return {k: decode(value, v) for k, v in data.items()}
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(data)
    if kind is float and isinstance(data, int):
        return float(data)
    return data


# -- errors: the server's answer as the local exception ---------------------------------------------------

_BY_STATUS: dict[int, type[errors.TilmechError]] = {
    400: errors.UsageError, 401: errors.Unauthorized, 403: errors.Forbidden, 404: errors.NotFound,
    409: errors.WorkflowError, 413: errors.ContentTooLarge, 422: errors.UsageError,
    428: errors.PreconditionRequired, 503: errors.EnvironmentNotReady,
}


def error_of(response: httpx.Response, what: str, server: str) -> errors.TilmechError:
    """The exception the command raises locally for the server's error ``response`` to ``what``
    (``METHOD /path``) from ``server``: the same type (hence exit code) and the server's message."""
    try:
        body = response.json()["error"]
        message, kind = str(body["message"]), str(body.get("type", ""))
    except (ValueError, KeyError, TypeError):
        body, kind = {}, ""
        message = (f"the server answered {response.status_code} {response.reason_phrase} to {what}, "
                   "not a Tilmech error: check --server (is it the workbench's address?)")
    status = response.status_code
    if status == 404 and message.startswith("no such path:"):
        return errors.EnvironmentNotReady(f"the server at {server} does not offer {what}: it runs an older "
                                          "Tilmech; upgrade it")
    found = getattr(errors, kind, None)
    cls = found if isinstance(found, type) and issubclass(found, errors.TilmechError) else None
    if cls is not None and issubclass(cls, errors.Conflict):
        return cls(message, str(body.get("current_text", "")), int(body.get("current_version", 0)))
    if cls is not None and cls.__name__ == "FindingsNotAcknowledged":
        return cls(message, list(body.get("findings", [])))
    if cls is not None and issubclass(cls, errors.TooManyRequests):
        return cls(message, int(response.headers.get("retry-after", "60") or 60))
    if cls is not None and cls.__init__ is errors.TilmechError.__init__:
        return cls(message)
    if status == 429:
        return errors.TooManyRequests(message, int(response.headers.get("retry-after", "60") or 60))
    # a gateway's 502/503/504: the server is not there (exit 3); its own 500 failed the work (exit 1, as locally)
    fallback = _BY_STATUS.get(status) or (errors.EnvironmentNotReady if status in (502, 504) else errors.TilmechError)
    return fallback(message)


# -- the client --------------------------------------------------------------------------------------------

class RemoteBackend:
    """A Tilmech server's JSON API, as the user of ``token`` (``Authorization: Bearer``)."""

    def __init__(self, url: str, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.url = server_url(url)
        if not token.strip():
            raise errors.UsageError("--server needs an API token in $TILMECH_TOKEN: an admin makes one with "
                                    "`tilmech users token NAME --label LABEL`")
        self.client = httpx.Client(base_url=self.url, timeout=TIMEOUT, transport=transport, follow_redirects=False,
                                   headers={"Authorization": f"Bearer {token.strip()}",
                                            "Accept": "application/json"})

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
             json: Any = None) -> Any:
        """The JSON answer to ``method path``; the server's error as the local exception."""
        what = f"{method} {path}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.client.request(method, path, params=query, json=json)
        except httpx.TimeoutException as exc:
            raise errors.EnvironmentNotReady(f"the server at {self.url} did not answer {what} in time ({exc}): "
                                             "try again") from None
        except httpx.HTTPError as exc:  # refused, unknown host, TLS, ...
            reason = str(exc) or type(exc).__name__
            raise errors.EnvironmentNotReady(f"cannot reach the server at {self.url}: {reason}: check --server "
                                             "(or $TILMECH_SERVER) and that `tilmech serve` runs there") from None
        if response.is_redirect:  # a sign-in page or another site: not the API
            raise errors.EnvironmentNotReady(f"the server at {self.url} answered {what} with a redirect to "
                                             f"{response.headers.get('location', '?')}: give the workbench's own "
                                             "address with --server")
        if response.status_code >= 400:
            raise error_of(response, what, self.url)
        try:
            return response.json()
        except ValueError:
            raise errors.EnvironmentNotReady(f"the server at {self.url} answered {what} with something other than "
                                             "JSON: check --server (is it the workbench's address?)") from None

    def get(self, kind: type[T] | Any, path: str, **params: Any) -> Any:
        return decode(kind, self.call("GET", path, params=params))

    # -- review

    def review_list(self, lang: str | None, state: str | None, article: str | None, *, order: str,
                    min_risk: float | None, max_risk: float | None, limit: int | None) -> list[ReviewItem]:
        from ..services import ReviewItem

        return self.get(list[ReviewItem], "/api/segments", lang=lang, state=state, article=article,
                        order=order, min_risk=min_risk, max_risk=max_risk, limit=limit)

    def review_show(self, segment_id: str, lang: str | None) -> SegmentView:
        from ..services import SegmentView

        return self.get(SegmentView, f"/api/segments/{_part(segment_id)}", lang=lang)

    def review_edit(self, segment_id: str, lang: str, text: str, version: int | None) -> ReviewItem:
        from ..services import ReviewItem

        answer = self.call("PUT", f"/api/segments/{_part(segment_id)}/{_part(lang)}",
                           json={"text": text, "version": version})
        return decode(ReviewItem, answer)

    def approve(self, lang: str, segment_ids: Sequence[str], article: str | None, *, include: Sequence[str],
                acknowledge: Sequence[str], propagate: bool) -> Approval:
        from ..services import Approval

        body = {"lang": lang, "segments": list(segment_ids), "article": article, "include": _states(include),
                "acknowledge": list(acknowledge), "propagate": propagate}
        return decode(Approval, self.call("POST", "/api/segments/approve", json=body))

    def bulk_approve(self, lang: str, article: str, max_risk: float, *, dry_run: bool,
                     only: Sequence[str] | None, include: Sequence[str],
                     acknowledge: Sequence[str]) -> BulkApproval:
        from ..services import BulkApproval

        answer = self.call("POST", f"/api/articles/{_part(article)}/{_part(lang)}/approve",
                           json={"max_risk": max_risk, "dry_run": dry_run,
                                 "only": list(only) if only is not None else None, "include": _states(include),
                                 "acknowledge": list(acknowledge)})
        return decode(BulkApproval, answer)

    def send_back(self, lang: str, segment_ids: Sequence[str], note: str) -> int:
        answer = self.call("POST", "/api/segments/send-back",
                           json={"lang": lang, "segments": list(segment_ids), "note": note})
        return int(answer["sent_back"])

    def comment(self, segment_id: str, lang: str, text: str) -> None:
        self.call("POST", f"/api/segments/{_part(segment_id)}/{_part(lang)}/comments", json={"text": text})

    # -- inbox and status

    def inbox(self, *, include_seen: bool, mark_seen: bool) -> list[InboxItem]:
        from ..services import InboxItem

        items: list[InboxItem] = decode(list[InboxItem],
                                        self.call("GET", "/api/inbox", params={"all": "true" if include_seen else None})
                                        ["items"])
        newest = max((item.when for item in items if item.unseen), default=None)
        if mark_seen and newest is not None:  # what was listed, not what came since
            self.call("POST", "/api/inbox/seen", json={"until": newest.isoformat()})
        return items

    def status(self) -> tuple[tuple[str, ...], dict[str, dict[str, int]]]:
        answer = self.call("GET", "/api/status")
        return tuple(answer["languages"]), decode(dict[str, dict[str, int]], answer["states"])

    # -- releases

    def release_list(self) -> list[ReleaseInfo]:
        from ..services import ReleaseInfo

        return decode(list[ReleaseInfo], self.call("GET", "/api/releases")["releases"])

    def release_create(self, previous_editions: bool) -> ReleaseInfo:
        from ..services import ReleaseInfo

        return decode(ReleaseInfo, self.call("POST", "/api/releases",
                                             json={"previous_editions": previous_editions}))

    def release_approve(self, release_id: int) -> ReleaseInfo:
        from ..services import ReleaseInfo

        return decode(ReleaseInfo, self.call("POST", f"/api/releases/{release_id}/approve"))

    def release_discard(self, release_id: int) -> int:
        return int(self.call("DELETE", f"/api/releases/{release_id}")["discarded"])

    def release_diff(self, release_id: int, against: int | None, dest: str | None) -> ReleaseDiff:
        from ..services import ReleaseDiff

        if dest is not None:
            raise errors.UsageError("--to names a folder of this machine: with --server, the server compares "
                                    "with the release its own publishing target serves (leave --to out)")
        return self.get(ReleaseDiff, f"/api/releases/{release_id}/diff", against=against)

    def release_publish(self, release_id: int) -> PublishReport:
        from ..publish import PublishReport

        return decode(PublishReport, self.call("POST", f"/api/releases/{release_id}/publish"))

    def release_rollback(self, release_id: int) -> int:
        return int(self.call("POST", f"/api/releases/{release_id}/rollback")["served"])


def _part(value: str) -> str:
    """``value`` as one segment of a URL path."""
    return quote(value, safe="")


def _states(include: Sequence[str]) -> list[str]:
    """``--include needs-work,stale`` as the API's list, checked here as locally (same message)."""
    from ..services.review import parse_include

    return sorted(parse_include(include))
