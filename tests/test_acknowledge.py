"""Findings are acknowledged, not ignored: an approval with open functional QA findings names them (service,
API, the workbench's confirmation page); acknowledgements are recorded, leave the risk, and open again with a
new version; critical findings still block; bulk approvals skip and count what was not acknowledged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tilmech import services
from tilmech.errors import FindingsNotAcknowledged, UsageError, WorkflowError
from tilmech.qa import CHECKS
from tilmech.runtime import Runtime
from tilmech.store.schema import AcknowledgementRow
from tilmech.web import create_app
from web_support import signed_in, workbench_runtime

SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    from conftest import make_project

    return workbench_runtime(make_project(tmp_path_factory.mktemp("acknowledge") / "project", engine="pseudo"))


def flagged(rt: Runtime, lang: str, n: int = 0, *, rechecked: bool = False) -> services.ReviewItem:
    """The ``n``-th draft of SEED in ``lang`` with functional findings and no critical one (``rechecked``:
    findings the checks find again after an edit, not only those of the machine draft)."""
    items = [i for i in services.review_list(rt, lang, "draft", SEED)
             if i.findings and all(f.severity == "functional" for f in i.findings)
             and not (rechecked and {f.code for f in i.findings} & {"term-case", "term-lost"})]
    return items[n]


def codes(item: services.ReviewItem) -> list[str]:
    return sorted({f.code for f in item.findings})


def test_one_segment_with_open_findings_is_refused_until_they_are_acknowledged(rt: Runtime) -> None:
    elena = rt.acting_as(services.get_user(rt, "elena"), "api (token ci)")  # type: ignore[arg-type]
    item = flagged(elena, "zh", rechecked=True)
    with pytest.raises(FindingsNotAcknowledged) as refused:
        services.review_approve(elena, "zh", [item.segment_id], expected_version=item.version)
    assert refused.value.exit_code == 1 and refused.value.http_status == 409
    assert refused.value.findings == [{"code": f.code, "message": f.message, "severity": "functional"}
                                      for f in item.findings]
    assert f"segment {item.segment_id} (zh): not approved" in str(refused.value)
    assert f"approve acknowledging {', '.join(codes(item))}" in str(refused.value)
    after = services.review_show(rt, item.segment_id, "zh").items[0]
    assert (after.state, after.version) == ("draft", item.version)  # nothing changed
    with pytest.raises(UsageError, match="term-mising: no such QA check"):
        services.review_approve(elena, "zh", [item.segment_id], acknowledge=["term-mising"])

    assert services.review_approve(elena, "zh", [item.segment_id], expected_version=item.version,
                                   acknowledge=codes(item)) == 1
    approved = services.review_show(rt, item.segment_id, "zh").items[0]
    assert approved.state == "approved"
    assert approved.risk is not None and item.risk is not None and approved.risk < item.risk
    assert [f.code for f in approved.findings] == [f.code for f in item.findings]  # still shown, not counted
    records = services.acknowledgements(rt, item.segment_id, "zh")
    assert sorted((a.code, a.who, a.surface, a.version, a.current) for a in records) == \
        [(code, "elena", "api (token ci)", approved.version, True) for code in codes(item)]

    # an edit makes a new version: the finding is open again, and counts in the risk again
    edited = services.review_edit(elena, item.segment_id, "zh", approved.text + " ", approved.version)
    assert edited.state == "draft" and edited.risk == item.risk
    assert not any(a.current for a in services.acknowledgements(rt, item.segment_id, "zh"))
    with pytest.raises(FindingsNotAcknowledged):
        services.review_approve(elena, "zh", [item.segment_id])


def test_critical_findings_block_whatever_is_acknowledged(rt: Runtime) -> None:
    item = flagged(rt, "ru")
    broken = services.review_edit(rt, item.segment_id, "ru", "Текст {1} без пары.", item.version)
    critical = [f.code for f in broken.findings if f.severity == "critical"]
    assert critical, broken.findings
    with pytest.raises(WorkflowError, match="critical") as refused:
        services.review_approve(rt, "ru", [item.segment_id], acknowledge=list(CHECKS))
    assert not isinstance(refused.value, FindingsNotAcknowledged)
    assert services.review_show(rt, item.segment_id, "ru").items[0].state == "draft"


def test_a_send_back_opens_them_again_and_a_recheck_keeps_them_out_of_the_risk(rt: Runtime) -> None:
    item = flagged(rt, "ky", 1)
    services.review_approve(rt, "ky", [item.segment_id], acknowledge=codes(item))
    lowered = services.review_show(rt, item.segment_id, "ky").items[0]
    assert lowered.risk is not None and item.risk is not None and lowered.risk < item.risk
    services.qa_recheck(rt, "ky", SEED)
    assert services.review_show(rt, item.segment_id, "ky").items[0].risk == lowered.risk
    services.review_send_back(rt, "ky", [item.segment_id], "look again")
    assert services.review_show(rt, item.segment_id, "ky").items[0].risk == item.risk
    services.qa_recheck(rt, "ky", SEED)
    assert services.review_show(rt, item.segment_id, "ky").items[0].risk == item.risk


def test_the_api_answers_409_with_the_findings_and_approves_with_acknowledge(rt: Runtime) -> None:
    client = signed_in(create_app(rt), "bakyt")
    item = flagged(rt, "ky", 2)
    url = f"/api/segments/{item.segment_id}/ky/approve"
    refused = client.post(url, json={"version": item.version})
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["type"] == "FindingsNotAcknowledged" and error["status"] == 409
    assert [f["code"] for f in error["findings"]] == [f.code for f in item.findings]
    assert set(error["findings"][0]) == {"code", "message", "severity"}
    done = client.post(url, json={"version": item.version, "acknowledge": codes(item)})
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "approved"
    # signed in with a session (the workbench): recorded as "web", as in the history
    assert [a.surface for a in services.acknowledgements(rt, item.segment_id, "ky")] == ["web"] * len(codes(item))

    # the article's approval under a risk threshold: held back unless acknowledged
    article = client.post(f"/api/articles/{SEED}/ky/approve", json={"max_risk": 100, "dry_run": True})
    assert article.status_code == 200
    held = article.json()["unacknowledged"]
    assert held and all(f["severity"] == "functional" for fs in held.values() for f in fs)
    everything = sorted({f["code"] for fs in held.values() for f in fs})
    acknowledged = client.post(f"/api/articles/{SEED}/ky/approve",
                               json={"max_risk": 100, "dry_run": True, "acknowledge": everything})
    assert set(held) <= set(acknowledged.json()["approved"]) and acknowledged.json()["unacknowledged"] == {}


def test_the_workbench_form_asks_for_a_confirmation_listing_the_findings(rt: Runtime) -> None:
    client = signed_in(create_app(rt), "elena")
    csrf = client.headers["X-CSRF-Token"]
    item = flagged(rt, "ky", 3)
    url = f"/edit/{SEED}/ky/{item.segment_id}"
    page = client.post(url, data={"action": "approve", "text": item.text, "version": item.version, "csrf": csrf},
                       follow_redirects=False)
    assert page.status_code == 409 and page.headers["content-type"].startswith("text/html")
    assert "Approve with open findings?" in page.text
    for f in item.findings:
        assert f'data-code="{f.code}"' in page.text
    assert services.review_show(rt, item.segment_id, "ky").items[0].state == "draft"
    form = re.search(r'<form method="post" action="([^"]+)" class="confirm">(.*?)</form>', page.text, re.S)
    assert form is not None and form.group(1) == url
    fields = re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2))
    assert ("action", "approve") in fields and ("csrf", csrf) in fields
    assert sorted(v for k, v in fields if k == "acknowledge") == codes(item)
    data: dict[str, list[str]] = {}
    for key, value in fields:
        data.setdefault(key, []).append(value)
    done = client.post(url, data=data, follow_redirects=False)  # the confirm button
    assert done.status_code == 303 and done.headers["location"] == f"/edit/{SEED}/ky#seg-{item.segment_id}"
    assert services.review_show(rt, item.segment_id, "ky").items[0].state == "approved"
    assert {a.who for a in services.acknowledgements(rt, item.segment_id, "ky")} == {"elena"}


def test_an_xliff_approval_with_open_findings_keeps_the_edit_and_waits(rt: Runtime) -> None:
    item = flagged(rt, "ru", rechecked=True)
    exported = services.xliff_export(rt, SEED, "ru")
    unit = re.search(rf'<unit id="s{item.segment_id}">.*?</unit>', exported, re.S)
    assert unit is not None
    final = re.sub(r'state="\w+" subState="tilmech:[\w-]+"', 'state="final"', unit.group(0))
    edited = final.replace("</target>", " (x)</target>")
    [outcome] = [o for o in services.xliff_import(rt, exported.replace(unit.group(0), edited), "ru.xlf")
                 if o.segment_id == item.segment_id]
    assert outcome.outcome == "edited" and "not approved" in outcome.detail and "acknowledge" in outcome.detail
    after = services.review_show(rt, item.segment_id, "ru").items[0]
    assert (after.state, after.text) == ("draft", item.text + " (x)")
    again = services.xliff_export(rt, SEED, "ru")
    unit = re.search(rf'<unit id="s{item.segment_id}">.*?</unit>', again, re.S)
    assert unit is not None
    final = re.sub(r'state="\w+" subState="tilmech:[\w-]+"', 'state="final"', unit.group(0))
    [refused] = [o for o in services.xliff_import(rt, again.replace(unit.group(0), final), "ru.xlf")
                 if o.segment_id == item.segment_id]
    assert refused.outcome == "refused" and "not approved" in refused.detail


def test_an_article_approval_skips_and_counts_what_was_not_acknowledged(rt: Runtime) -> None:
    drafts = services.review_list(rt, "ky", "draft", SEED)
    open_ = {i.segment_id: i for i in drafts if any(f.severity == "functional" for f in i.findings)}
    assert open_ and len(open_) < len(drafts)
    done = services.approve_segments(rt, "ky", article=SEED)
    assert done.approved == len(drafts) - len(open_)
    assert set(done.unacknowledged) == set(open_)
    some = next(iter(open_))
    assert [f["code"] for f in done.unacknowledged[some]] == \
        [f.code for f in open_[some].findings if f.severity == "functional"]
    assert all(services.review_show(rt, sid, "ky").items[0].state == "draft" for sid in open_)
    # several segments named by id are a bulk approval too: skipped and reported, not refused
    two = services.approve_segments(rt, "ky", list(open_)[:2])
    assert two.approved == 0 and set(two.unacknowledged) == set(list(open_)[:2])
    everything = sorted({f.code for i in open_.values() for f in i.findings})
    assert services.approve_segments(rt, "ky", article=SEED, acknowledge=everything).approved == len(open_)


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_acknowledgements_are_stored_on_both_stores(pseudo_project: Path, store: str,
                                                    request: pytest.FixtureRequest) -> None:
    if store == "postgresql":
        settings = pseudo_project / "tilmech.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace(
            "sqlite:///tilmech.db", request.getfixturevalue("postgres_url")), encoding="utf-8")
    from conftest import drafted

    rt = drafted(pseudo_project)
    item = flagged(rt, "ky")
    services.review_approve(rt, "ky", [item.segment_id], acknowledge=codes(item))
    with rt.store.reading() as s:
        rows = s.query(AcknowledgementRow).all()
        assert [(r.code, r.who, r.surface) for r in rows] == [(code, rt.user, "") for code in codes(item)]
