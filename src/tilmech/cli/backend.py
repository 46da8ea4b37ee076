"""What the review, inbox, status and release commands act through: the store here (:class:`LocalBackend`,
over ``services``) or a Tilmech server's JSON API (``remote.RemoteBackend``, with ``--server``).

Both answer with the same values (the services' frozen dataclasses), so that each command's output
is written once and reads the same either way; both raise the same errors (``tilmech.errors``).
The remote one is imported only when ``--server`` (or ``$TILMECH_SERVER``) is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

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


class Backend(Protocol):
    """The use cases the commands that work remotely call (as the acting user)."""

    def review_list(self, lang: str | None, state: str | None, article: str | None, *, order: str,
                    min_risk: float | None, max_risk: float | None, limit: int | None) -> list[ReviewItem]: ...

    def review_show(self, segment_id: str, lang: str | None) -> SegmentView: ...

    def review_edit(self, segment_id: str, lang: str, text: str, version: int | None) -> ReviewItem: ...

    def approve(self, lang: str, segment_ids: Sequence[str], article: str | None, *, include: Sequence[str],
                acknowledge: Sequence[str], propagate: bool) -> Approval: ...

    def bulk_approve(self, lang: str, article: str, max_risk: float, *, dry_run: bool,
                     only: Sequence[str] | None, include: Sequence[str],
                     acknowledge: Sequence[str]) -> BulkApproval: ...

    def send_back(self, lang: str, segment_ids: Sequence[str], note: str) -> int: ...

    def comment(self, segment_id: str, lang: str, text: str) -> None: ...

    def inbox(self, *, include_seen: bool, mark_seen: bool) -> list[InboxItem]: ...

    def status(self) -> tuple[tuple[str, ...], dict[str, dict[str, int]]]:
        """(the target languages in order, segments per language and state)."""
        ...

    def release_list(self) -> list[ReleaseInfo]: ...

    def release_create(self, previous_editions: bool) -> ReleaseInfo: ...

    def release_approve(self, release_id: int) -> ReleaseInfo: ...

    def release_discard(self, release_id: int) -> int: ...

    def release_diff(self, release_id: int, against: int | None, dest: str | None) -> ReleaseDiff: ...

    def release_publish(self, release_id: int) -> PublishReport: ...

    def release_rollback(self, release_id: int) -> int: ...


class LocalBackend:
    """The store of this project, through ``services``, as the CLI's user (``ctx.runtime``)."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt

    def review_list(self, lang: str | None, state: str | None, article: str | None, *, order: str,
                    min_risk: float | None, max_risk: float | None, limit: int | None) -> list[ReviewItem]:
        from ..services import review_list

        return review_list(self.rt, lang, state, article, order=order, min_risk=min_risk, max_risk=max_risk,
                           limit=limit)

    def review_show(self, segment_id: str, lang: str | None) -> SegmentView:
        from ..services import review_show

        return review_show(self.rt, segment_id, lang)

    def review_edit(self, segment_id: str, lang: str, text: str, version: int | None) -> ReviewItem:
        from ..services import review_edit

        return review_edit(self.rt, segment_id, lang, text, version)

    def approve(self, lang: str, segment_ids: Sequence[str], article: str | None, *, include: Sequence[str],
                acknowledge: Sequence[str], propagate: bool) -> Approval:
        from ..services import approve_segments

        return approve_segments(self.rt, lang, segment_ids, article, include=include, acknowledge=acknowledge,
                                propagate=propagate)

    def bulk_approve(self, lang: str, article: str, max_risk: float, *, dry_run: bool,
                     only: Sequence[str] | None, include: Sequence[str],
                     acknowledge: Sequence[str]) -> BulkApproval:
        from ..services import bulk_approve

        return bulk_approve(self.rt, lang, article, max_risk, dry_run=dry_run, only=only, include=include,
                            acknowledge=acknowledge)

    def send_back(self, lang: str, segment_ids: Sequence[str], note: str) -> int:
        from ..services import review_send_back

        return review_send_back(self.rt, lang, segment_ids, note)

    def comment(self, segment_id: str, lang: str, text: str) -> None:
        from ..services import add_comment

        add_comment(self.rt, segment_id, lang, text)

    def inbox(self, *, include_seen: bool, mark_seen: bool) -> list[InboxItem]:
        from ..services.inbox import inbox  # services.inbox is the module once it is imported

        return inbox(self.rt, include_seen=include_seen, mark_seen=mark_seen)

    def status(self) -> tuple[tuple[str, ...], dict[str, dict[str, int]]]:
        from ..services import stats

        return tuple(self.rt.settings.target_languages), stats(self.rt)

    def release_list(self) -> list[ReleaseInfo]:
        from ..services import release_list

        return release_list(self.rt)

    def release_create(self, previous_editions: bool) -> ReleaseInfo:
        from ..services import release_create

        return release_create(self.rt, previous_editions)

    def release_approve(self, release_id: int) -> ReleaseInfo:
        from ..services import release_approve

        return release_approve(self.rt, release_id)

    def release_discard(self, release_id: int) -> int:
        from ..services import release_discard

        return release_discard(self.rt, release_id)

    def release_diff(self, release_id: int, against: int | None, dest: str | None) -> ReleaseDiff:
        from ..services import release_diff

        return release_diff(self.rt, release_id, against, dest)

    def release_publish(self, release_id: int) -> PublishReport:
        from ..services import publish

        return publish(self.rt, release_id)

    def release_rollback(self, release_id: int) -> int:
        from ..services import release_rollback

        return release_rollback(self.rt, release_id)
