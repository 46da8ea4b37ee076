"""The review queue: list, show, edit, approve, send back, comment, bulk approval, progress.

Concurrency lives in the database. Every write of a translation first locks its row
(``SELECT ... FOR UPDATE`` on PostgreSQL; a SQLite write transaction holds the whole store
from its start), checks the version the writer read against the locked row, and its UPDATE
is ``... WHERE id = ? AND version = ?`` as well (the mapping's version column). Several rows
are locked in the order of their ids, so two writers of overlapping sets never deadlock.
Two approvals of one article at once: the second waits for the first, then finds its
segments approved and counts 0 for them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..auth import (
    require_review,
)
from ..errors import (
    Conflict,
    FindingsNotAcknowledged,
    NotFound,
    UsageError,
    WorkflowError,
)
from ..languages import get_language
from ..markdown.placeholders import Segment
from ..qa import Severity
from ..review import Action, State, approve, parse_state, transition
from ..runtime import Runtime
from ..store import (
    ArticleRow,
    CommentRow,
    HistoryRow,
    SegmentRow,
    TranslationRow,
    utcnow,
)
from ..store.queries import (
    IN_CHUNK,
    ITEM_COLUMNS,
    ReviewItem,
    in_chunks,
    item_of,
    item_of_row,
    resolve_segment,
    segment_model,
    translation_of,
)
from .acknowledge import (
    check_codes,
    current_acknowledged,
    parse_acknowledge,
    record_acknowledged,
    reopen_findings,
    require_acknowledged,
)
from .quality import check_draft, draft_risk


@dataclass(frozen=True)
class HistoryEntry:
    at: str
    who: str
    action: str
    before_text: str | None
    after_text: str
    before_state: str | None
    after_state: str
    note: str
    surface: str = ""  # cli (and the OS login), web, api (and the token's label), xliff; "" unknown


ORDERS = ("position", "risk", "score")


def review_list(rt: Runtime, lang: str | None = None, state: str | None = None, article: str | None = None, *,
                query: str | None = None, flag: str | None = None, order: str = "position",
                min_risk: float | None = None, max_risk: float | None = None,
                limit: int | None = None) -> list[ReviewItem]:
    """The queue: filters by language, state, article, text (source or target), QA finding and risk.

    ``flag`` is a finding code, a severity, or ``any``; ``order`` is ``position``
    (article order), ``risk`` (worst first; segments not checked yet before all) or
    ``score`` (the engine's weakest drafts first). ``min_risk``/``max_risk`` keep the
    segments whose risk lies in that range (both ends included). ``limit``: the first
    so many in that order (the store sorts and stops: a queue of any size answers fast).
    """
    query_ = (select(*ITEM_COLUMNS)
              .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
              .where(SegmentRow.active.is_(True)))
    if lang:
        query_ = query_.where(TranslationRow.lang == rt.settings.resolve_languages([lang])[0].code)
    if state:  # one state, or several separated by commas ("draft,needs-work,stale")
        query_ = query_.where(TranslationRow.state.in_([parse_state(part.strip()).value for part in state.split(",")]))
    if article:
        query_ = query_.where(SegmentRow.article == article)
    if query:
        if "\x00" in query:
            raise UsageError("the search text contains a NUL character: search for printable text")
        # % and _ match themselves (escaped), not any text
        query_ = query_.where(SegmentRow.source.icontains(query, autoescape=True)
                              | TranslationRow.text.icontains(query, autoescape=True))
    if order not in ORDERS:
        raise UsageError(f"unknown order {order!r}: use {', '.join(ORDERS)}")
    for name, bound in (("min-risk", min_risk), ("max-risk", max_risk)):
        if bound is not None and not 0 <= bound <= 100:
            raise UsageError(f"--{name} {bound}: the risk runs from 0 to 100")
    if min_risk is not None:
        query_ = query_.where(TranslationRow.risk >= min_risk)
    if max_risk is not None:
        query_ = query_.where(TranslationRow.risk <= max_risk)
    if limit is not None and limit < 1:
        raise UsageError(f"--limit {limit}: give 1 or more")
    position = (SegmentRow.article, SegmentRow.position, TranslationRow.lang)
    # One query per part of the order, each sorted by an indexed column first, so that with a
    # limit the store walks the index and stops instead of sorting the whole queue.
    if order == "risk":  # not checked yet first, then the highest risk; article order within
        parts = [query_.where(TranslationRow.risk.is_(None)).order_by(*position),
                 query_.where(TranslationRow.risk.is_not(None)).order_by(TranslationRow.risk.desc(), *position)]
    elif order == "score":  # the lowest score first, drafts without a score last
        parts = [query_.where(TranslationRow.score.is_not(None)).order_by(TranslationRow.score, *position),
                 query_.where(TranslationRow.score.is_(None)).order_by(*position)]
    else:
        parts = [query_.order_by(*position)]
    with rt.store.reading() as s:
        if article and s.get(ArticleRow, article) is None:
            raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
        items: list[ReviewItem] = []
        for part in parts:
            left = None if flag or limit is None else limit - len(items)
            if left == 0:
                break
            items += [item_of_row(row) for row in s.execute(part if left is None else part.limit(left))]
    if flag:  # findings are JSON: filtered here, then cut
        items = [i for i in items if any(flag in ("any", f.code, str(f.severity)) for f in i.findings)]
        items = items[:limit] if limit is not None else items
    return items


@dataclass(frozen=True)
class SegmentView:
    segment_id: str
    article: str
    source: str
    placeholders: dict[str, str]
    items: tuple[ReviewItem, ...]
    history: dict[str, tuple[HistoryEntry, ...]]
    terms: tuple[SegmentTerm, ...] = ()
    comments: dict[str, tuple[Comment, ...]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Comment:
    at: str
    who: str
    text: str


@dataclass(frozen=True)
class SegmentTerm:
    """A glossary term of a segment's source, with its approved renderings."""

    id: str
    english: str  # as written in the source
    renderings: dict[str, tuple[str, ...]]  # lang -> allowed renderings, preferred first
    note: str


def segment_terms(rt: Runtime, source: str) -> tuple[SegmentTerm, ...]:
    out: dict[str, SegmentTerm] = {}
    for m in rt.matcher.find(source):
        if m.term.id not in out and m.term.enforced:
            out[m.term.id] = SegmentTerm(m.term.id, m.text, {code: m.term.allowed(code)
                                                             for code in rt.settings.target_languages
                                                             if m.term.allowed(code)}, m.term.note)
    return tuple(out.values())


_HISTORY_COLUMNS = (HistoryRow.at, HistoryRow.who, HistoryRow.action, HistoryRow.before_text, HistoryRow.after_text,
                    HistoryRow.before_state, HistoryRow.after_state, HistoryRow.note, HistoryRow.surface)


def _history_entry(row: Sequence[Any]) -> HistoryEntry:
    at, who, action, before_text, after_text, before_state, after_state, note, surface = row
    return HistoryEntry(at.isoformat(timespec="seconds"), who, action, before_text, after_text, before_state,
                        after_state, note, surface or "")


def review_show(rt: Runtime, segment_id: str, lang: str | None = None) -> SegmentView:
    langs = [rt.settings.resolve_languages([lang])[0].code] if lang else list(rt.settings.target_languages)
    with rt.store.reading() as s:
        seg = resolve_segment(s, segment_id)
        items = []
        history: dict[str, tuple[HistoryEntry, ...]] = {}
        comments: dict[str, tuple[Comment, ...]] = {}
        for code in langs:
            tr = s.scalars(select(TranslationRow).where(TranslationRow.segment_id == seg.id,
                                                        TranslationRow.lang == code)).first()
            if tr is None:
                continue
            items.append(item_of(seg, tr))
            history[code] = tuple(_history_entry(entry) for entry in s.execute(
                select(*_HISTORY_COLUMNS).where(HistoryRow.translation_id == tr.id).order_by(HistoryRow.id)))
            comments[code] = tuple(
                Comment(c.at.isoformat(timespec="seconds"), c.who, c.text)
                for c in s.scalars(select(CommentRow).where(CommentRow.translation_id == tr.id).order_by(CommentRow.id)))
        return SegmentView(seg.id, seg.article, seg.source, dict(seg.placeholders or {}), tuple(items), history,
                           segment_terms(rt, seg.source), comments)


def review_views(rt: Runtime, lang: str, items: Sequence[ReviewItem]) -> dict[str, SegmentView]:
    """The views of many segments in one language (the editor's page) in a few queries, not some per segment."""
    code = rt.settings.resolve_languages([lang])[0].code
    ids = [i.segment_id for i in items]
    history: dict[int, list[HistoryEntry]] = {}
    comments: dict[int, list[Comment]] = {}
    with rt.store.reading() as s:
        translation_of = {sid: tid for sid, tid in s.execute(select(TranslationRow.segment_id, TranslationRow.id)
                                                             .where(TranslationRow.lang == code,
                                                                    TranslationRow.segment_id.in_(ids)))}
        tids = list(translation_of.values())
        for tid, *entry in s.execute(select(HistoryRow.translation_id, *_HISTORY_COLUMNS)
                                     .where(HistoryRow.translation_id.in_(tids)).order_by(HistoryRow.id)):
            history.setdefault(tid, []).append(_history_entry(entry))
        for tid, at, who, text in s.execute(select(CommentRow.translation_id, CommentRow.at, CommentRow.who,
                                                   CommentRow.text)
                                            .where(CommentRow.translation_id.in_(tids)).order_by(CommentRow.id)):
            comments.setdefault(tid, []).append(Comment(at.isoformat(timespec="seconds"), who, text))
    terms: dict[str, tuple[SegmentTerm, ...]] = {}
    out = {}
    for item in items:
        if item.source not in terms:
            terms[item.source] = segment_terms(rt, item.source)
        tid = translation_of.get(item.segment_id, -1)
        out[item.segment_id] = SegmentView(item.segment_id, item.article, item.source, item.placeholders, (item,),
                                           {code: tuple(history.get(tid, ()))}, terms[item.source],
                                           {code: tuple(comments.get(tid, ()))})
    return out


def locked_translations(s: Session, segs: Sequence[SegmentRow], lang: str) -> dict[str, TranslationRow]:
    """The ``lang`` translations of ``segs`` by segment id, read and locked until the transaction ends
    (PostgreSQL: ``FOR UPDATE``, in the order of their ids; SQLite's write transaction holds the store)."""
    ids = list(dict.fromkeys(seg.id for seg in segs))
    locking = select(TranslationRow).order_by(TranslationRow.id).with_for_update() \
        .execution_options(populate_existing=True)
    if len(ids) <= IN_CHUNK:
        return {tr.segment_id: tr for tr in s.scalars(
            locking.where(TranslationRow.segment_id.in_(ids), TranslationRow.lang == lang))}
    # more than one IN list: their ids first, so that the chunks lock in the order of the ids too
    tids = sorted(tid for chunk in in_chunks(ids, IN_CHUNK) for tid in s.scalars(
        select(TranslationRow.id).where(TranslationRow.segment_id.in_(chunk), TranslationRow.lang == lang)))
    return {tr.segment_id: tr for chunk in in_chunks(tids, IN_CHUNK)
            for tr in s.scalars(locking.where(TranslationRow.id.in_(chunk)))}


def _translation_in(rows: dict[str, TranslationRow], seg: SegmentRow, lang: str) -> TranslationRow:
    """``seg``'s row among ``rows`` (as :func:`locked_translations` gives them), or NotFound."""
    tr = rows.get(seg.id)
    if tr is None:
        raise NotFound(f"segment {seg.id} has no {lang} translation yet: run `tilmech translate --lang {lang}`")
    return tr


def locked_translation(s: Session, seg: SegmentRow, lang: str) -> TranslationRow:
    """The ``lang`` translation of ``seg``, locked until the transaction ends (see :func:`locked_translations`)."""
    return _translation_in(locked_translations(s, [seg], lang), seg, lang)


def _conflict(where: str, current_text: str, current_version: int, who: str, expected: int) -> Conflict:
    return Conflict(f"{where} was changed by {who} since you opened it "
                    f"(version {current_version}, yours {expected}); their text is: {current_text}",
                    current_text, current_version)


def check_version(tr: TranslationRow, expected: int | None) -> None:
    """Refuse a write based on another version than the row's (read under its lock)."""
    if expected is not None and tr.version != expected:
        raise _conflict(where_of(tr), tr.text, tr.version, tr.updated_by, expected)


def where_of(tr: TranslationRow) -> str:
    """How messages name a translation: ``segment ID (lang)``."""
    return f"segment {tr.segment_id} ({tr.lang})"


def record_change(s: Session, tr: TranslationRow, who: str, action: Action, text: str, note: str = "",
                  surface: str = "") -> None:
    """Change a translation by ``action`` (the state it leads to from the current one, or a
    :class:`WorkflowError` when the review table forbids it), record it in its history and
    bump its version, in one flush: ``UPDATE ... WHERE id = ? AND version = <read>``. A row that
    another writer changed since it was read (one not locked first) refuses it as a :class:`Conflict`
    with the other's text and version."""
    where = where_of(tr)
    state = transition(State(tr.state), action, where)
    read, tid = tr.version, tr.id
    s.add(HistoryRow(translation_id=tr.id, who=who, action=action.value, before_text=tr.text, after_text=text,
                     before_state=tr.state, after_state=state.value, note=note, surface=surface))
    tr.text, tr.state = text, state.value
    tr.updated_at, tr.updated_by = utcnow(), who
    tr.version = read + 1  # the one place a review bumps it (see TranslationRow's version column)
    try:
        s.flush()
    except StaleDataError:
        bind = s.bind  # not s.get_bind(): that asks the failed transaction
        assert bind is not None
        engine = bind if isinstance(bind, Engine) else bind.engine
        with engine.connect() as conn:  # the session is rolled back: read the winner's row anew
            conn.execution_options(tilmech_read_only=True)
            now = conn.execute(select(TranslationRow.text, TranslationRow.version, TranslationRow.updated_by)
                               .where(TranslationRow.id == tid)).one()
        raise _conflict(where, now.text, now.version, now.updated_by, read) from None


def review_edit(rt: Runtime, segment_id: str, lang: str, text: str, expected_version: int | None = None) -> ReviewItem:
    """Replace the current text; the segment goes (back) to draft and QA runs again.

    With ``expected_version`` (every surface a person types into sends it), a segment changed
    by someone else in the meantime is refused (:class:`Conflict`) instead of overwritten;
    without it the text replaces whatever the locked row holds.
    """
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    with rt.store.session() as s:
        seg = resolve_segment(s, segment_id)
        tr = locked_translation(s, seg, language.code)
        edit_translation(s, rt, seg, tr, text, expected_version)
        return item_of(seg, tr)


def edit_translation(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow, text: str, expected_version: int | None,
          segment: Segment | None = None) -> None:
    """Edit ``tr`` (locked by the caller: :func:`locked_translation`)."""
    text = text.strip()
    if not text:
        raise UsageError("the new text is empty: give the translation with --text")
    check_version(tr, expected_version)
    language = get_language(tr.lang)
    findings = check_draft(rt, segment or segment_model(seg), text, language)
    tr.qa = [f.to_dict() for f in findings]
    tr.risk = draft_risk(rt, seg.source, findings, tr.score, edited=text != tr.machine)
    record_change(s, tr, rt.user, Action.EDIT, text, surface=rt.surface)


def approve_translation(s: Session, rt: Runtime, seg: SegmentRow, tr: TranslationRow,
                        acknowledge: Collection[str] = ()) -> bool:
    """Approve one translation (locked by the caller); False when it already was. Critical findings refuse it,
    and so do functional ones whose codes ``acknowledge`` does not name (:class:`FindingsNotAcknowledged`;
    see :mod:`.acknowledge`)."""
    if tr.state == State.APPROVED.value:
        return False
    critical = [f["message"] for f in tr.qa or [] if f["severity"] == Severity.CRITICAL.value]
    approve(State(tr.state), critical, where_of(tr))  # refused with critical findings
    require_acknowledged(tr, where_of(tr), acknowledge)
    record_change(s, tr, rt.user, Action.APPROVE, tr.text, surface=rt.surface)
    record_acknowledged(s, rt, seg, tr, acknowledge)  # for the approved version
    return True


# Holds that stick: an approval of a whole article approves drafts; a segment sent back
# (needs-work) or whose English changed after approval (stale) waits for someone to name it
# by id, or to ask for its state (``include``).
HELD_STATES = (State.NEEDS_WORK.value, State.STALE.value)


def parse_include(states: Sequence[str]) -> frozenset[str]:
    """The held states a bulk approval takes too (``--include needs-work,stale``)."""
    wanted = {part.strip() for item in states for part in item.split(",") if part.strip()}
    unknown = sorted(wanted - set(HELD_STATES))
    if unknown:
        raise UsageError(f"--include {', '.join(unknown)}: use {' or '.join(HELD_STATES)} "
                         "(drafts are always included)")
    return frozenset(wanted)


@dataclass(frozen=True)
class Approval:
    """What an approval changed: how many were approved, the held segments it skipped (by state), and those
    skipped for open functional findings not acknowledged (segment id -> the findings)."""

    lang: str
    approved: int
    skipped: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # state -> segment ids
    unacknowledged: dict[str, tuple[dict[str, str], ...]] = dataclasses.field(default_factory=dict)
    propagated: int = 0  # not-approved translations of identical English given the approved text (``propagate``)


def review_approve(rt: Runtime, lang: str, segment_ids: Sequence[str] = (), article: str | None = None,
                   expected_version: int | None = None, *, include: Sequence[str] = (),
                   acknowledge: Collection[str] = (), propagate: bool = False) -> int:
    """Approve segments (or the drafts of an article) in one transaction; returns how many changed
    (see :func:`approve_segments`)."""
    return approve_segments(rt, lang, segment_ids, article, expected_version, include=include,
                            acknowledge=acknowledge, propagate=propagate).approved


def approve_segments(rt: Runtime, lang: str, segment_ids: Sequence[str] = (), article: str | None = None,
                     expected_version: int | None = None, *, include: Sequence[str] = (),
                     acknowledge: Collection[str] = (), propagate: bool = False) -> Approval:
    """Approve segments (or every draft of an article) in one transaction.

    Segments named by id are approved whatever their state. Of an article, the ``needs-work``
    and ``stale`` segments are skipped (and reported) unless ``include`` names their state.
    The translations are locked first: an approval running at the same time waits, then finds
    them approved and counts 0 for them. ``expected_version`` (one segment): refused as a
    :class:`Conflict` when the text changed since it was read. Open functional findings need their codes
    in ``acknowledge``: one segment is refused without (:class:`FindingsNotAcknowledged`), several skip
    it and report it (``unacknowledged``). ``propagate``: each approved text also goes to the not-approved
    translations of the identical English (:func:`.tm.propagate`), counted in ``propagated``.
    """
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    if not segment_ids and not article:
        raise UsageError("name the segments to approve (IDs) or --article SLUG")
    taken = parse_include(include)
    acknowledged = parse_acknowledge(acknowledge)
    check_codes(acknowledged)
    skipped: dict[str, list[str]] = {}
    unacknowledged: dict[str, tuple[dict[str, str], ...]] = {}
    changed = propagated = 0
    with rt.store.session() as s:
        if article:
            if s.get(ArticleRow, article) is None:
                raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
            segs = list(s.scalars(select(SegmentRow).where(SegmentRow.article == article,
                                                           SegmentRow.active.is_(True))
                                  .order_by(SegmentRow.position)))
        else:
            segs = [resolve_segment(s, sid) for sid in segment_ids]
        twins: list[SegmentRow] = []
        if propagate:  # the twins too, locked now with the rest: in id order, like any other writer
            from .tm import identical_to

            twins = identical_to(s, segs, language.code)
        rows = locked_translations(s, [*segs, *twins], language.code)
        problems = []
        for seg in segs:
            tr = _translation_in(rows, seg, language.code)
            if len(segs) == 1:
                check_version(tr, expected_version)
            if article and tr.state in HELD_STATES and tr.state not in taken:
                skipped.setdefault(tr.state, []).append(seg.id)
                continue
            try:
                changed += approve_translation(s, rt, seg, tr, acknowledged)
                if propagate and tr.state == State.APPROVED.value:
                    from .tm import propagate as propagate_text

                    propagated += propagate_text(s, rt, seg, tr, twins, rows)
            except FindingsNotAcknowledged as exc:  # one segment: refused; several: skipped and reported
                if len(segs) == 1 and not article:
                    raise
                unacknowledged[seg.id] = tuple(exc.findings)
            except WorkflowError as exc:  # critical findings, checked before anything changes
                problems.append(str(exc))
        if problems:
            raise WorkflowError("nothing approved:\n" + "\n".join(problems))
    return Approval(language.code, changed, {state: tuple(ids) for state, ids in skipped.items()}, unacknowledged,
                    propagated)


def review_send_back(rt: Runtime, lang: str, segment_ids: Sequence[str], note: str = "",
                     expected_version: int | None = None) -> int:
    """Mark segments needs-work, in one transaction (their translations locked first)."""
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    with rt.store.session() as s:
        segs = [resolve_segment(s, sid) for sid in segment_ids]
        rows = locked_translations(s, segs, language.code)
        acknowledged = current_acknowledged(s, list(rows.values()))  # open again in the new version
        for seg in segs:
            tr = _translation_in(rows, seg, language.code)
            if len(segment_ids) == 1:
                check_version(tr, expected_version)
            record_change(s, tr, rt.user, Action.SEND_BACK, tr.text, note, rt.surface)
            reopen_findings(s, rt, seg, tr, acknowledged.get(tr.id, ()))
    return len(segment_ids)


def add_comment(rt: Runtime, segment_id: str, lang: str, text: str) -> None:
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)  # a comment is a write like any other
    if not text.strip():
        raise UsageError("the comment is empty")
    with rt.store.session() as s:
        seg = resolve_segment(s, segment_id)
        tr = translation_of(s, seg, language.code)
        s.add(CommentRow(translation_id=tr.id, who=rt.user, text=text.strip()))


@dataclass(frozen=True)
class BulkApproval:
    """Segments of one article and language approved (or, in a dry run, to approve) under a risk threshold."""

    article: str
    lang: str
    max_risk: float
    approved: tuple[str, ...]  # segment ids
    held_back: int  # not yet approved, but at or above the threshold, with findings, or not checked
    already: int  # approved before
    skipped: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # held states not included
    # of those held back, the ones under the threshold held only by findings not acknowledged: id -> findings
    unacknowledged: dict[str, tuple[dict[str, str], ...]] = dataclasses.field(default_factory=dict)


def bulk_approve(rt: Runtime, lang: str, article: str, max_risk: float, *, dry_run: bool = False,
                 only: Sequence[str] | None = None, include: Sequence[str] = (),
                 acknowledge: Collection[str] = ()) -> BulkApproval:
    """Approve every draft of ``article`` in ``lang`` whose risk is below ``max_risk`` and that has no
    QA findings (but those whose codes ``acknowledge`` names, critical ones never), in one transaction.
    ``dry_run`` only counts; ``only`` limits the approval to the
    segments a dry run showed (anything that changed since stays as it is). ``needs-work`` and
    ``stale`` segments are skipped (and reported) unless ``include`` names their state."""
    language = rt.settings.resolve_languages([lang])[0]
    require_review(rt.actor, language.code)
    if not 0 <= max_risk <= 100:
        raise UsageError(f"--max-risk {max_risk}: the risk runs from 0 to 100")
    taken = parse_include(include)
    acknowledged = parse_acknowledge(acknowledge)
    check_codes(acknowledged)
    unacknowledged: dict[str, tuple[dict[str, str], ...]] = {}
    skipped: dict[str, list[str]] = {}
    approved: list[str] = []
    held = already = 0
    with rt.store.session() as s:
        if s.get(ArticleRow, article) is None:
            raise NotFound(f"no article {article!r} in the store: run `tilmech translate` first")
        # the translations locked (in the order of their ids, as every writer locks them): a bulk approval
        # running at the same time waits, then counts these as approved before
        query = (select(SegmentRow, TranslationRow)
                 .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id)
                 .where(SegmentRow.article == article, SegmentRow.active.is_(True),
                        TranslationRow.lang == language.code)
                 .order_by(TranslationRow.id).execution_options(populate_existing=True))
        rows = s.execute(query if dry_run else query.with_for_update(of=TranslationRow)).all()
        for seg, tr in sorted(rows, key=lambda row: row[0].position):
            if tr.state == State.APPROVED.value:
                already += 1
            elif tr.state in HELD_STATES and tr.state not in taken:
                skipped.setdefault(tr.state, []).append(seg.id)
            elif tr.risk is None or tr.risk >= max_risk or (only is not None and seg.id not in only):
                held += 1
            elif left := _not_acknowledged(tr, acknowledged):
                held += 1
                if all(f["severity"] != Severity.CRITICAL.value for f in left):
                    unacknowledged[seg.id] = tuple(left)
            else:
                approved.append(seg.id)
                if not dry_run:
                    approve_translation(s, rt, seg, tr, acknowledged)
    return BulkApproval(article, language.code, max_risk, tuple(approved), held, already,
                        {state: tuple(ids) for state, ids in skipped.items()}, unacknowledged)


def _not_acknowledged(tr: TranslationRow, acknowledged: Collection[str]) -> list[dict[str, str]]:
    """The findings of ``tr`` that hold it back from a bulk approval: any not acknowledged, any critical."""
    return [{"code": f["code"], "message": f["message"], "severity": f["severity"]} for f in tr.qa or []
            if f["code"] not in acknowledged or f["severity"] == Severity.CRITICAL.value]


@dataclass(frozen=True)
class Progress:
    article: str
    title: str
    lang: str
    total: int
    approved: int
    needs_work: int
    flagged: int


def progress_table(rt: Runtime, article: str | None = None) -> list[Progress]:
    """Per article (all, or the one named) and language: segments, approved, needs-work, with QA findings."""
    out = []
    query = (select(SegmentRow.article, TranslationRow.lang, TranslationRow.state, TranslationRow.qa)
             .join(TranslationRow, TranslationRow.segment_id == SegmentRow.id).where(SegmentRow.active.is_(True)))
    if article is not None:
        query = query.where(SegmentRow.article == article)
    titles_query = select(ArticleRow.slug, ArticleRow.title)
    if article is not None:
        titles_query = titles_query.where(ArticleRow.slug == article)
    with rt.store.reading() as s:
        titles = {slug: title for slug, title in s.execute(titles_query)}
        rows = s.execute(query).all()
    counts: dict[tuple[str, str], list[int]] = {}
    for article, lang, state, qa in rows:
        c = counts.setdefault((article, lang), [0, 0, 0, 0])
        c[0] += 1
        c[1] += state == State.APPROVED.value
        c[2] += state == State.NEEDS_WORK.value
        c[3] += bool(qa)
    order = {code: i for i, code in enumerate(rt.settings.target_languages)}
    for (article, lang), (total, approved, needs_work, flagged) in sorted(
            counts.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))):
        out.append(Progress(article, titles.get(article, article), lang, total, approved, needs_work, flagged))
    return out
