"""The workbench's server-rendered pages: sign-in, dashboard, segment editor, releases.

Every form works without JavaScript (the script only makes them quicker); each one that
changes state carries the session's CSRF token as its ``csrf`` field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from .. import services
from ..auth import User, require_editor
from ..errors import (
    FindingsNotAcknowledged,
    NotFound,
    TilmechError,
    TooManyRequests,
    Unauthorized,
    UsageError,
    WorkflowError,
)
from ..runtime import Runtime
from ..services.inbox import inbox as read_inbox
from ..services.inbox import inbox_unseen
from .api import required_version
from .data import MAX_INT, read_upload, upload_name
from .security import acting, check_csrf, csrf_token, local_target, sign_in, sign_out, signed_in
from .state import workbench

router = APIRouter(include_in_schema=False)


def page(request: Request, name: str, user: User, **context: Any) -> HTMLResponse:
    """A page for a signed-in user: the header shows who and how many notes are new in their inbox,
    the forms get the CSRF token."""
    bench = workbench(request)
    unseen = inbox_unseen(read_inbox(bench.runtime, user))
    return bench.templates.TemplateResponse(request, name, {
        "user": user, "csrf": csrf_token(request), "languages": bench.runtime.settings.target_languages,
        "unseen": unseen, **context})


# What a placeholder stands for, in the words of the chips (the extractor's token names otherwise).
MEANINGS = {"strong": "bold", "em": "italic", "s": "strikethrough", "code": "code", "line break": "line break"}


def chips(placeholders: dict[str, str]) -> list[dict[str, Any]]:
    """The placeholders of a segment as the editor's chips: one per pair ({1}…{/1}) or atomic tag ({2}),
    in number order, with what it stands for ("link https://…", "bold") and what a click inserts."""
    out: dict[int, dict[str, Any]] = {}
    for tag, label in placeholders.items():
        number = int(tag.strip("{}/"))
        if tag.startswith("{/"):
            out.setdefault(number, {"number": number, "meaning": ""})["close"] = tag
            continue
        kind, _, rest = label.partition(" ")
        meaning = MEANINGS.get(label, MEANINGS.get(kind, kind) + (f" {rest}" if rest else ""))
        out.setdefault(number, {"number": number})
        out[number].update(open=tag, meaning=meaning)
    return [{"close": "", **chip} for _, chip in sorted(out.items()) if "open" in chip]


def notes_of(view: services.SegmentView, lang: str) -> list[dict[str, str]]:
    """What people said about a segment, oldest first: send-back notes and comments (the top of the segment)."""
    sent = [{"kind": "sent back", "at": h.at, "who": h.who, "text": h.note}
            for h in view.history.get(lang, ()) if h.action == "send-back"]
    said = [{"kind": "comment", "at": c.at, "who": c.who, "text": c.text} for c in view.comments.get(lang, ())]
    return sorted(sent + said, key=lambda n: n["at"])


def read_only_reason(user: User, lang: str, name: str) -> str:
    """Why ``user`` may read but not change this language's page ("" when they may change it)."""
    if user.may_review(lang):
        return ""
    return (f"Read only: you translate {', '.join(user.languages)} as a {user.role}; this page is {name}. "
            "An editor, or a translator for this language, can change it.")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return workbench(request).templates.TemplateResponse(
        request, "login.html", {"user": None, "next": local_target(next), "error": ""})


@router.post("/login")
def login_form(request: Request, name: str = Form(...), password: str = Form(...), next: str = Form("/")) -> Response:
    try:
        sign_in(request, name, password)
    except (Unauthorized, TooManyRequests) as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return workbench(request).templates.TemplateResponse(
            request, "login.html", {"user": None, "next": local_target(next), "error": str(exc)},
            status_code=exc.http_status, headers=headers)
    return RedirectResponse(local_target(next), status_code=303)


@router.post("/logout")
def logout_form(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: User = Depends(signed_in), r: Runtime = Depends(acting)) -> HTMLResponse:
    """The user's desk: their languages first, what needs them most on top; for editors, what blocks the
    next release."""
    rows = services.desk_rows(r, user)
    names = {lang.code: lang.name for lang in r.settings.targets}
    titles = {row.article: row.title for row in rows}
    blocking: list[dict[str, Any]] = []
    if user.may_approve_releases:
        for locale in services.release_preview(r):
            blocking += [{"article": slug, "title": titles.get(slug, slug), "lang": locale.lang, "why": why}
                         for slug, why in locale.blocked.items()]
        blocking.sort(key=lambda b: (b["title"].casefold(), b["article"], b["lang"]))
    return page(request, "dashboard.html", user, mine=[row for row in rows if row.mine],
                others=[row for row in rows if not row.mine], names=names, blocking=blocking)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, user: User = Depends(signed_in), r: Runtime = Depends(acting)) -> HTMLResponse:
    """Segments of the user's languages sent back or commented by others, the new ones marked; looking
    at the page counts as having seen them."""
    items = read_inbox(r, user, include_seen=True, mark_seen=True)
    names = {lang.code: lang.name for lang in r.settings.targets}
    return page(request, "inbox.html", user, items=items, names=names, new=inbox_unseen(items))


@router.get("/edit/{article}/{lang}", response_class=HTMLResponse)
def editor(request: Request, article: str, lang: str, state: str | None = None, flag: str | None = None,
           order: str = "position", q: str | None = None, min_risk: str | None = None,
           max_risk: str | None = None, user: User = Depends(signed_in),
           r: Runtime = Depends(acting)) -> HTMLResponse:
    items = services.review_list(r, lang, state or None, article, query=q or None, flag=flag or None,
                                 order=order, min_risk=_number(min_risk, "min_risk"),
                                 max_risk=_number(max_risk, "max_risk"))
    views = services.review_views(r, lang, items)
    progress = next((p for p in services.progress_table(r, article) if p.lang == lang), None)
    language = r.settings.resolve_languages([lang])[0]
    return page(request, "editor.html", user, article=article, lang=lang, items=items, views=views,
                progress=progress, may_review=user.may_review(lang), language=language,
                title=progress.title if progress else article,
                read_only=read_only_reason(user, lang, language.name),
                chips={it.segment_id: chips(it.placeholders) for it in items},
                notes={it.segment_id: notes_of(views[it.segment_id], lang) for it in items},
                filters={"state": state or "", "flag": flag or "", "order": order, "q": q or "",
                         "min_risk": min_risk or "", "max_risk": max_risk or ""})


@router.get("/edit/{article}/{lang}/preview", response_class=HTMLResponse)
def editor_preview(request: Request, article: str, lang: str, user: User = Depends(signed_in),
                   r: Runtime = Depends(acting)) -> HTMLResponse:
    """The article as it will read in ``lang`` with the current text: the editor's preview pane (a fragment,
    fetched again after each save), or a page of its own."""
    preview = services.article_preview(r, article, lang)
    if request.headers.get("x-fragment") == "preview":
        return workbench(request).templates.TemplateResponse(request, "preview.html", {"preview": preview})
    return page(request, "preview_page.html", user, preview=preview, article=article, lang=lang)


# Declared before the segment form below, whose {segment_id} would take "xliff" as well.
@router.post("/edit/{article}/{lang}/xliff", response_class=HTMLResponse)
async def editor_xliff_import(request: Request, article: str, lang: str, file: UploadFile,
                              csrf: str = Form(""), user: User = Depends(signed_in),
                              r: Runtime = Depends(acting)) -> HTMLResponse:
    """The editor's XLIFF upload: each segment's outcome on a page of its own."""
    check_csrf(request, csrf)
    outcomes = services.xliff_import(r, await read_upload(file, r.settings.limits.upload_bytes), upload_name(file))
    return page(request, "imported.html", user, article=article, lang=lang, outcomes=outcomes)


@router.post("/edit/{article}/{lang}/{segment_id}")
def editor_form(request: Request, article: str, lang: str, segment_id: str, action: str = Form(...),
                text: str = Form(""), version: Annotated[int | None, Form(ge=-MAX_INT, le=MAX_INT)] = None,
                note: Annotated[str, Form(max_length=2000)] = "", csrf: str = Form(""),
                acknowledge: Annotated[list[str], Form(max_length=100)] = [],  # noqa: B006 (FastAPI copies it)
                user: User = Depends(signed_in), r: Runtime = Depends(acting)) -> Response:
    """The same actions without JavaScript: save, approve, send back, then back to the page. An approval
    with open findings not acknowledged answers a page that lists them, whose button approves
    acknowledging them."""
    check_csrf(request, csrf)
    version = required_version(r, version, segment_id, lang)  # the page's hidden field: 428 without it
    if action in ("save", "approve") and text.strip():
        current = services.review_show(r, segment_id, lang).items[0]
        if text.strip() != current.text:
            version = services.review_edit(r, segment_id, lang, text, version).version
    if action == "approve":
        try:
            services.review_approve(r, lang, [segment_id], expected_version=version, acknowledge=acknowledge)
        except FindingsNotAcknowledged as exc:
            confirm = page(request, "approve_confirm.html", user, article=article, lang=lang,
                           segment_id=segment_id, version=version, findings=exc.findings)
            confirm.status_code = exc.http_status  # 409: not approved (yet)
            return confirm
    elif action == "send-back":
        services.review_send_back(r, lang, [segment_id], note, expected_version=version)
    return RedirectResponse(f"/edit/{article}/{lang}#seg-{segment_id}", status_code=303)


# -- releases: create, approve, publish, roll back, discard; each action is a confirmation page (GET)
# and its form (POST, with the CSRF token and confirm=yes); a POST without confirm=yes goes to the
# confirmation page. Translators read the page; its actions answer 403.

RELEASE_ACTIONS = {"approve": "approve a release", "publish": "publish a release",
                   "rollback": "roll back the published site", "discard": "discard a release"}
ReleaseId = Annotated[int, Path(ge=-MAX_INT, le=MAX_INT)]


@router.post("/edit/{article}/{lang}/{segment_id}/comments")
def editor_comment(request: Request, article: str, lang: str, segment_id: str,
                   comment: Annotated[str, Form(max_length=4000)] = "", csrf: str = Form(""),
                   r: Runtime = Depends(acting)) -> Response:
    """The comment form without JavaScript: the comment added, then back to the segment."""
    check_csrf(request, csrf)
    services.add_comment(r, segment_id, lang, comment)
    return RedirectResponse(f"/edit/{article}/{lang}#seg-{segment_id}", status_code=303)


@router.get("/releases", response_class=HTMLResponse)
def releases_page(request: Request, user: User = Depends(signed_in), r: Runtime = Depends(acting)) -> HTMLResponse:
    releases = services.release_list(r)
    try:  # the target may be out of reach (object storage): the page still serves the rest
        published, target_problem = {p.release: p for p in services.published_releases(r)}, ""
    except TilmechError as exc:
        published, target_problem = {}, str(exc)
    diffs = {info.id: _diff(r, info.id) for info in releases if info.state == "pending"}
    return page(request, "releases.html", user, releases=releases, preview=services.release_preview(r),
                published=published, diffs=diffs, target_problem=target_problem,
                notice=request.session.pop("release_notice", None))


@router.get("/releases/new", response_class=HTMLResponse)
def releases_create_confirm(request: Request, user: User = Depends(signed_in),
                            r: Runtime = Depends(acting)) -> HTMLResponse:
    require_editor(user, "create a release")
    return page(request, "release_confirm.html", user, action="create", release=None, diff=None,
                preview=services.release_preview(r))


@router.post("/releases")
def releases_create(request: Request, csrf: str = Form(""), confirm: str = Form(""),
                    r: Runtime = Depends(acting)) -> Response:
    check_csrf(request, csrf)
    require_editor(r.actor, "create a release")
    if confirm != "yes":
        return RedirectResponse("/releases/new", status_code=303)
    info = services.release_create(r)
    request.session["release_notice"] = [f"release {info.id} created", *info.warnings]
    return RedirectResponse(f"/releases#release-{info.id}", status_code=303)


@router.get("/releases/{release_id}/{action}", response_class=HTMLResponse)
def releases_confirm(request: Request, release_id: ReleaseId, action: str, user: User = Depends(signed_in),
                     r: Runtime = Depends(acting)) -> HTMLResponse:
    """What the action will do, the diff against the served release, and the form that does it."""
    require_editor(user, _release_action(action))
    info = services.release_info(r, release_id)
    if action == "publish" and info.state != "approved":
        raise WorkflowError(f"release {release_id} is not approved: approve it first")
    if action == "discard" and info.state != "pending":
        raise WorkflowError(f"release {release_id} is {info.state}: only a pending release can be discarded")
    return page(request, "release_confirm.html", user, action=action, release=info, diff=_diff(r, release_id),
                preview=None, target=services.publish_location(r))


@router.post("/releases/{release_id}/{action}")
def releases_act(request: Request, release_id: ReleaseId, action: str, csrf: str = Form(""),
                 confirm: str = Form(""), r: Runtime = Depends(acting)) -> Response:
    check_csrf(request, csrf)
    require_editor(r.actor, _release_action(action))
    if confirm != "yes":
        return RedirectResponse(f"/releases/{release_id}/{action}", status_code=303)
    notice: list[str]
    if action == "approve":
        info = services.release_approve(r, release_id)
        notice = list(info.warnings) or [f"release {release_id} approved"]
    elif action == "publish":
        report = services.publish(r, release_id)
        notice = [f"release {release_id} published to {report.target} and served"]
    elif action == "rollback":
        notice = [f"release {services.release_rollback(r, release_id)} is served again"]
    else:
        notice = [f"release {services.release_discard(r, release_id)} discarded"]
    request.session["release_notice"] = notice
    return RedirectResponse("/releases", status_code=303)


def _release_action(action: str) -> str:
    if action not in RELEASE_ACTIONS:
        raise NotFound(f"no release action {action!r}: use {', '.join(RELEASE_ACTIONS)}")
    return RELEASE_ACTIONS[action]


def _diff(r: Runtime, release_id: int) -> services.ReleaseDiff | str:
    """The release against the served one, or why it cannot be compared (the served one is not in the
    store, the target is out of reach)."""
    try:
        return services.release_diff(r, release_id)
    except TilmechError as exc:
        return str(exc)


def _number(value: str | None, name: str) -> float | None:
    """A number from a form field; empty is none."""
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"{name}: {value!r} is not a number") from None
