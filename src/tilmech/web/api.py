"""The JSON API under ``/api/``, described at ``/openapi.json`` (for signed-in users).

Each route calls one service with the runtime acting as the signed-in user; errors leave
through the funnel of :mod:`tilmech.web.errors` as ``{"error": {...}}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from .. import services
from ..auth import User, require_review
from ..errors import PreconditionRequired, TilmechError
from ..runtime import Runtime
from ..services.inbox import inbox as read_inbox  # services.inbox is the module once it is imported
from .data import MAX_INT, plain, read_upload, upload_name
from .security import acting, check_csrf, csrf_token, mutating, sign_in, sign_out, signed_in

MAX_TEXT = 20_000  # characters of one segment's text



class ErrorDetail(BaseModel):
    """The one error shape (a stale save adds ``current_text`` and ``current_version``; an approval with open
    findings not acknowledged, ``findings``)."""

    model_config = ConfigDict(extra="allow")
    status: int
    type: str
    message: str


class ErrorAnswer(BaseModel):
    error: ErrorDetail


# Every operation documents the error shape as its "default" answer (instead of FastAPI's own 422).
router = APIRouter(responses={"default": {"model": ErrorAnswer, "description": "an error, in the one error shape"}})


class Login(BaseModel):
    name: str = Field(max_length=100)
    password: str = Field(max_length=1000)


# ``version``: the version of the text the writer read. Required: one left out is answered 428
# (Precondition Required, in the error shape), never taken as "the latest".
class Edit(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    version: int | None = Field(None, ge=-MAX_INT, le=MAX_INT, description="the version read (required)")


class Transition(BaseModel):
    version: int | None = Field(None, ge=-MAX_INT, le=MAX_INT, description="the version read (required)")
    note: str = Field("", max_length=2000)


class Approve(Transition):
    acknowledge: list[Annotated[str, Field(max_length=64)]] = Field(
        [], max_length=100, description="codes of the open QA findings acknowledged (e.g. term-missing); "
                                        "without them an approval with open functional findings is refused (409)")
    propagate: bool = Field(False, description="give the approved text to the not-approved translations of the "
                                               "identical English too (as drafts); the answer counts them")


def required_version(r: Runtime, version: int | None, segment_id: str, lang: str) -> int:
    """The version a write is based on; a missing one is refused (428) — after the role is checked, so
    that who may not write the language hears 403 whatever they send."""
    if version is None:
        require_review(r.actor, r.settings.resolve_languages([lang])[0].code)
        raise PreconditionRequired(f"segment {segment_id} ({lang}): give the version of the text you read "
                                   "(`version`, as GET /api/segments/ID reports it), so that a newer text is "
                                   "never overwritten unseen")
    return version


class BulkApprove(BaseModel):
    max_risk: float = Field(ge=0, le=100)
    dry_run: bool = False
    only: list[str] | None = None  # the segment ids a dry run returned
    include: list[Literal["needs-work", "stale"]] = []  # held states approved too (skipped by default)
    acknowledge: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=100)  # finding codes


class CommentBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: User = Depends(signed_in)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.post("/api/login", tags=["session"])
def api_login(body: Login, request: Request) -> dict[str, Any]:
    user = sign_in(request, body.name, body.password)
    return {"user": plain(user), "csrf": csrf_token(request)}


@router.post("/api/logout", tags=["session"])
def api_logout(request: Request) -> dict[str, bool]:
    if request.session.get("user"):
        check_csrf(request, request.headers.get("x-csrf-token"))
    sign_out(request)
    return {"ok": True}


@router.get("/api/me", tags=["session"])
def api_me(request: Request, user: User = Depends(signed_in)) -> dict[str, Any]:
    return {"user": plain(user), "csrf": csrf_token(request)}


@router.get("/api/progress", tags=["review"])
def api_progress(r: Runtime = Depends(acting)) -> list[dict[str, Any]]:
    return plain(services.progress_table(r))


@router.get("/api/segments", tags=["review"])
def api_segments(lang: str | None = None, state: str | None = None, article: str | None = None,
                 q: str | None = None, flag: str | None = None, order: str = "position",
                 min_risk: float | None = None, max_risk: float | None = None,
                 limit: int | None = Query(None, ge=1, le=MAX_INT, description="the first so many in that order"),
                 r: Runtime = Depends(acting)) -> list[dict[str, Any]]:
    return plain(services.review_list(r, lang, state, article, query=q, flag=flag, order=order,
                                      min_risk=min_risk, max_risk=max_risk, limit=limit))


@router.post("/api/articles/{article}/{lang}/approve", tags=["review"])
def api_bulk_approve(article: str, lang: str, body: BulkApprove, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    return plain(services.bulk_approve(r, lang, article, body.max_risk, dry_run=body.dry_run, only=body.only,
                                       include=body.include, acknowledge=body.acknowledge))


@router.get("/api/qa/report", tags=["qa"])
def api_qa_report(lang: str | None = None, article: str | None = None, worst: int = 10,
                  r: Runtime = Depends(acting)) -> dict[str, Any]:
    return services.qa_report(r, lang, article, worst=worst).to_dict()


@router.get("/api/segments/{segment_id}", tags=["review"])
def api_segment(segment_id: str, lang: str | None = None, r: Runtime = Depends(acting)) -> dict[str, Any]:
    return plain(services.review_show(r, segment_id, lang))


@router.put("/api/segments/{segment_id}/{lang}", tags=["review"])
def api_edit(segment_id: str, lang: str, body: Edit, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    version = required_version(r, body.version, segment_id, lang)
    return plain(services.review_edit(r, segment_id, lang, body.text, version))


@router.post("/api/segments/{segment_id}/{lang}/approve", tags=["review"])
def api_approve(segment_id: str, lang: str, body: Approve, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    version = required_version(r, body.version, segment_id, lang)
    done = services.approve_segments(r, lang, [segment_id], expected_version=version, acknowledge=body.acknowledge,
                                     propagate=body.propagate)
    return {**plain(services.review_show(r, segment_id, lang).items[0]), "propagated": done.propagated}


@router.get("/api/segments/{segment_id}/{lang}/identical", tags=["memory"])
def api_identical(segment_id: str, lang: str, r: Runtime = Depends(acting)) -> dict[str, int]:
    """How many other segments with the same English have a not-approved translation in ``lang``."""
    return {"count": services.identical_count(r, segment_id, lang)}


@router.get("/api/segments/{segment_id}/{lang}/suggestions", tags=["memory"])
def api_suggestions(segment_id: str, lang: str, limit: int = Query(3, ge=1, le=50),
                    r: Runtime = Depends(acting)) -> dict[str, Any]:
    """Memory suggestions: close English sentences' translations and memory units, closest first."""
    return {"suggestions": plain(services.suggestions(r, segment_id, lang, limit))}


@router.get("/api/tm/search", tags=["memory"])
def api_tm_search(q: str = Query(min_length=1, max_length=500), lang: str = Query(max_length=16),
                  limit: int = Query(50, ge=1, le=1000), r: Runtime = Depends(acting)) -> dict[str, Any]:
    """Concordance: segments whose English or ``lang`` translation holds ``q`` (any case)."""
    return {"results": plain(services.tm_search(r, q, lang, limit))}


@router.post("/api/segments/{segment_id}/{lang}/send-back", tags=["review"])
def api_send_back(segment_id: str, lang: str, body: Transition, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    version = required_version(r, body.version, segment_id, lang)
    services.review_send_back(r, lang, [segment_id], body.note, expected_version=version)
    return plain(services.review_show(r, segment_id, lang).items[0])


@router.post("/api/segments/{segment_id}/{lang}/comments", tags=["review"])
def api_comment(segment_id: str, lang: str, body: CommentBody, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    services.add_comment(r, segment_id, lang, body.text)
    return plain(services.review_show(r, segment_id, lang).comments)


# -- several segments at once, as `tilmech review approve` / `send-back` do (one transaction; the remote CLI) --

SegmentIds = list[Annotated[str, Field(min_length=1, max_length=64)]]


class ApproveMany(BaseModel):
    lang: str = Field(max_length=16)
    segments: SegmentIds = Field([], max_length=100_000, description="segment ids (approved in any state)")
    article: str | None = Field(None, max_length=200, description="or: the drafts of this article")
    include: list[Annotated[str, Field(max_length=32)]] = Field(
        [], max_length=10, description="with article: held states approved too (needs-work, stale)")
    acknowledge: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=100)  # finding codes
    propagate: bool = False


class SendBackMany(BaseModel):
    lang: str = Field(max_length=16)
    segments: SegmentIds = Field(min_length=1, max_length=100_000)
    note: str = Field("", max_length=2000)


@router.post("/api/segments/approve", tags=["review"])
def api_approve_many(body: ApproveMany, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    """Approve segments by id, or the drafts of an article, all or nothing (``tilmech review approve``);
    the answer counts them and names those skipped (held states, findings not acknowledged)."""
    return plain(services.approve_segments(r, body.lang, body.segments, body.article, include=body.include,
                                           acknowledge=body.acknowledge, propagate=body.propagate))


@router.post("/api/segments/send-back", tags=["review"])
def api_send_back_many(body: SendBackMany, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    """Send segments back (needs-work) with one note, all or nothing (``tilmech review send-back``)."""
    return {"sent_back": services.review_send_back(r, body.lang, body.segments, body.note)}


@router.get("/api/status", tags=["review"])
def api_status(r: Runtime = Depends(acting)) -> dict[str, Any]:
    """Segments per language and state (``tilmech status``), the target languages in their order."""
    return {"languages": list(r.settings.target_languages), "states": services.stats(r)}


# -- the inbox: notes (send-backs, comments) of others on the user's languages --

class InboxSeen(BaseModel):
    until: dt.datetime | None = Field(None, description="the newest note looked at (its `when`); default: now")


@router.get("/api/inbox", tags=["inbox"])
def api_inbox(include_seen: bool = Query(False, alias="all", description="the notes seen before too (the latest 200)"),
              r: Runtime = Depends(acting)) -> dict[str, Any]:
    """The signed-in user's inbox, newest first: what is new since they last looked (``unseen`` each)."""
    items = read_inbox(r, include_seen=include_seen)
    return {"items": [{**plain(item), "when": item.when.isoformat()} for item in items],
            "unseen": services.inbox_unseen(items)}


@router.post("/api/inbox/seen", tags=["inbox"])
def api_inbox_seen(body: InboxSeen | None = None, r: Runtime = Depends(mutating)) -> dict[str, bool]:
    """The user has looked: the notes up to ``until`` are no longer new."""
    services.inbox_seen(r, until=body.until if body is not None else None)
    return {"ok": True}


@router.get("/api/releases", tags=["releases"])
def api_releases(r: Runtime = Depends(acting)) -> dict[str, Any]:
    try:  # the publishing target may be out of reach (object storage): the rest is still answered
        published: dict[str, Any] = {"published": plain(services.published_releases(r))}
    except TilmechError as exc:
        published = {"published": None, "published_error": str(exc)}
    return {"releases": plain(services.release_list(r)), "preview": plain(services.release_preview(r)), **published}


class ReleaseCreate(BaseModel):
    previous_editions: bool = Field(False, description="ship an incomplete article's edition of the latest "
                                                       "release instead of leaving it out")


@router.post("/api/releases", tags=["releases"])
def api_release_create(body: ReleaseCreate | None = None, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    return plain(services.release_create(r, body.previous_editions if body is not None else False))


@router.post("/api/releases/{release_id}/approve", tags=["releases"])
def api_release_approve(release_id: Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)],
                        r: Runtime = Depends(mutating)) -> dict[str, Any]:
    return plain(services.release_approve(r, release_id))


# -- releases managed from the web: diff, publish, roll back, discard (editors; the services check the role) --

ReleaseId = Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)]


@router.get("/api/releases/{release_id}/diff", tags=["releases"])
def api_release_diff(release_id: ReleaseId, against: int | None = Query(None, ge=-MAX_INT, le=MAX_INT),
                     r: Runtime = Depends(acting)) -> dict[str, Any]:
    """Per locale, what the release changes against the served release (or release ``against``)."""
    return plain(services.release_diff(r, release_id, against))


@router.post("/api/releases/{release_id}/publish", tags=["releases"])
def api_release_publish(release_id: ReleaseId, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    """Publish an approved release to the configured target (``paths.publish``) and serve it."""
    report = services.publish(r, release_id)
    return {"release": report.release, "location": report.location, "target": report.target,
            "locales": report.locales, "files": report.files, "served": services.served_release(r),
            "warnings": list(report.warnings)}


@router.post("/api/releases/{release_id}/rollback", tags=["releases"])
def api_release_rollback(release_id: ReleaseId, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    """Serve an earlier published release again (its files are verified first)."""
    return {"served": services.release_rollback(r, release_id)}


@router.delete("/api/releases/{release_id}", tags=["releases"])
def api_release_discard(release_id: ReleaseId, r: Runtime = Depends(mutating)) -> dict[str, Any]:
    """Discard a pending release; an approved one is refused (409)."""
    return {"discarded": services.release_discard(r, release_id)}


@router.get("/api/xliff/{article}/{lang}", tags=["xliff"], response_class=Response)
def api_xliff_export(article: str, lang: str, version: str = "2.1", r: Runtime = Depends(acting)) -> Response:
    text = services.xliff_export(r, article, lang, version)
    return Response(text, media_type="application/xliff+xml", headers={
        "Content-Disposition": f'attachment; filename="{article}.{lang}.xlf"'})


@router.post("/api/xliff", tags=["xliff"])
async def api_xliff_import(file: UploadFile, r: Runtime = Depends(mutating)) -> list[dict[str, Any]]:
    text = await read_upload(file, r.settings.limits.upload_bytes)
    return plain(services.xliff_import(r, text, upload_name(file)))
