"""Review transitions (tilmech.review): the table of (state, action) → state as a whole, and the
services that change a translation's state on a real project going through it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from conftest import approve_article
from tilmech import services
from tilmech.errors import WorkflowError
from tilmech.review import TRANSITIONS, Action, State, transition
from tilmech.runtime import Runtime, load_runtime
from tilmech.store import HistoryRow, SegmentRow, TranslationRow
from tilmech.store.queries import resolve_segment, translation_of

SEED = "smart-classroom-kyrgyzstan"
OLD = "He wished that the two organizations could build a long-term and effective cooperative relationship"
NEW = "He wished that the two organizations would build a lasting and effective cooperative relationship"

D, N, A, S = State.DRAFT, State.NEEDS_WORK, State.APPROVED, State.STALE
T, C, E, AP, SB, R = (Action.TRANSLATE, Action.CARRY_OVER, Action.EDIT, Action.APPROVE, Action.SEND_BACK,
                      Action.REDRAFT)
# every state (None: no translation yet) against every action; None: refused
EXPECTED: dict[State | None, dict[Action, State | None]] = {
    #        translate  carry-over  edit  approve  send-back  redraft
    None: dict(zip((T, C, E, AP, SB, R), (D, S, None, None, None, None), strict=True)),
    D: dict(zip((T, C, E, AP, SB, R), (None, None, D, A, N, D), strict=True)),
    N: dict(zip((T, C, E, AP, SB, R), (None, None, D, A, N, D), strict=True)),
    A: dict(zip((T, C, E, AP, SB, R), (None, None, D, None, N, None), strict=True)),
    S: dict(zip((T, C, E, AP, SB, R), (None, None, D, A, N, None), strict=True)),
}


def test_the_table_covers_every_state_and_action() -> None:
    assert set(EXPECTED) == {None, *State}
    assert all(set(row) == set(Action) for row in EXPECTED.values())
    assert dict(TRANSITIONS) == {(state, action): after for state, row in EXPECTED.items()
                                 for action, after in row.items() if after is not None}


@pytest.mark.parametrize(("state", "action"), [(state, action) for state in EXPECTED for action in Action],
                         ids=lambda v: str(v))
def test_every_pair_is_allowed_or_refused_naming_state_and_action(state: State | None, action: Action) -> None:
    expected = EXPECTED[state][action]
    if expected is not None:
        assert transition(state, action, "segment 3f2a9c1b (ky)") is expected
        return
    with pytest.raises(WorkflowError) as info:
        transition(state, action, "segment 3f2a9c1b (ky)")
    message = str(info.value)
    assert info.value.exit_code == 1 and info.value.http_status == 409
    assert message.startswith(f"segment 3f2a9c1b (ky): cannot {action.value.replace('-', ' ')}: ")
    assert ("no translation yet" if state is None else str(state)) in message.split(": ", 2)[2]


def test_the_refusals_people_meet_read_well() -> None:
    with pytest.raises(WorkflowError, match=r"^segment 3f2a9c1b \(ky\): cannot redraft: it is approved: "):
        transition(A, R, "segment 3f2a9c1b (ky)")
    with pytest.raises(WorkflowError, match=r"cannot approve: it is approved already$"):
        transition(A, AP, "segment 3f2a9c1b (ky)")
    with pytest.raises(WorkflowError, match=r"cannot edit: it has no translation yet: run `tilmech translate`"):
        transition(None, E, "segment 3f2a9c1b (ky)")


# -- through the services, on a real project -------------------------------------------------


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    runtime = load_runtime(pseudo_project)
    services.ingest(runtime, [SEED])
    services.translate_language(runtime, "ky", [SEED])
    return runtime


def _history(rt: Runtime, segment_id: str) -> list[tuple[str, str | None, str]]:
    view = services.review_show(rt, segment_id, "ky")
    return [(h.action, h.before_state, h.after_state) for h in view.history["ky"]]


def _state(rt: Runtime, segment_id: str) -> str:
    return services.review_show(rt, segment_id, "ky").items[0].state


def test_review_actions_follow_the_table_and_history_records_each_step(rt: Runtime) -> None:
    first = services.review_list(rt, "ky", article=SEED)[0]
    sid = first.segment_id
    assert first.state == "draft"
    assert services.review_send_back(rt, "ky", [sid], "check the term") == 1
    assert services.review_send_back(rt, "ky", [sid], "and the number") == 1  # a second reviewer's note
    assert _state(rt, sid) == "needs-work"
    assert services.review_approve(rt, "ky", [sid]) == 1  # approved as it is
    assert services.review_approve(rt, "ky", [sid]) == 0  # approved already: nothing changes
    assert services.review_send_back(rt, "ky", [sid], "reopened") == 1  # an editor reopens it
    services.review_edit(rt, sid, "ky", first.text + " (түзөтүлдү)")
    assert _state(rt, sid) == "draft"
    assert _history(rt, sid) == [
        ("translate", None, "draft"),
        ("send-back", "draft", "needs-work"),
        ("send-back", "needs-work", "needs-work"),
        ("approve", "needs-work", "approved"),
        ("send-back", "approved", "needs-work"),
        ("edit", "needs-work", "draft"),
    ]


def test_a_refused_transition_names_segment_state_and_action_and_changes_nothing(rt: Runtime) -> None:
    sid = services.review_list(rt, "ky", article=SEED)[0].segment_id
    services.review_approve(rt, "ky", [sid])
    before = services.review_show(rt, sid, "ky").items[0]
    refused = rf"^segment {sid} \(ky\): cannot redraft: it is approved"
    with pytest.raises(WorkflowError, match=refused), rt.store.session() as s:
        tr = translation_of(s, resolve_segment(s, sid), "ky")
        services.record_change(s, tr, "tester", Action.REDRAFT, "другой текст")
    after = services.review_show(rt, sid, "ky").items[0]
    assert (after.text, after.state, after.version) == (before.text, "approved", before.version)
    assert [a for a, _, _ in _history(rt, sid)] == ["translate", "approve"]


def test_a_changed_sentence_is_carried_over_stale_then_approved_after_a_check(rt: Runtime) -> None:
    approve_article(rt, "ky", SEED)
    path = rt.settings.content_dir / f"{SEED}.md"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD, NEW), encoding="utf-8")
    services.ingest(rt, [SEED])
    services.translate_language(rt, "ky", [SEED])
    stale = [i for i in services.review_list(rt, "ky", article=SEED) if i.state == "stale"]
    assert len(stale) == 1 and stale[0].source.startswith(NEW)
    assert _history(rt, stale[0].segment_id) == [("translate", None, "stale")]
    # the reviewer checks the old text against the new English and finds it still right
    assert services.review_approve(rt, "ky", [stale[0].segment_id],
                                   acknowledge=[f.code for f in stale[0].findings]) == 1
    assert _history(rt, stale[0].segment_id)[-1] == ("approve", "stale", "approved")


def test_redraft_replaces_only_the_drafts_the_table_allows(rt: Runtime) -> None:
    """A new model version drafts again draft and needs-work machine text; approved text stays."""
    draft, back, approved, *_ = services.review_list(rt, "ky", article=SEED)
    services.review_send_back(rt, "ky", [back.segment_id], "try again")
    services.review_approve(rt, "ky", [approved.segment_id], acknowledge=[f.code for f in approved.findings])
    with rt.store.session() as s:  # as if an older version of the engine had made every draft
        s.execute(update(TranslationRow).where(TranslationRow.lang == "ky").values(model_version="0"))
    report = services.translate_language(rt, "ky", [SEED], redraft_unapproved=True)
    assert report.redrafted >= 2
    assert _history(rt, draft.segment_id)[-1] == ("redraft", "draft", "draft")
    assert _history(rt, back.segment_id)[-1] == ("redraft", "needs-work", "draft")
    assert _history(rt, approved.segment_id)[-1] == ("approve", "draft", "approved")
    with rt.store.reading() as s:
        kept = s.scalars(select(TranslationRow.model_version).join(SegmentRow).where(
            SegmentRow.id == approved.segment_id, TranslationRow.lang == "ky")).one()
        redrafts = s.scalars(select(HistoryRow.before_state).where(HistoryRow.action == "redraft")).all()
    assert kept == "0" and "approved" not in redrafts and len(redrafts) == report.redrafted
