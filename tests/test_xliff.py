"""XLIFF 2.1 and 1.2: valid by the OASIS schemas, read by translate-toolkit, round trips with refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from translate.storage.xliff import xlifffile
from translate.storage.xliff2 import Xliff2File

from tilmech import services
from tilmech.errors import InputError
from tilmech.runtime import Runtime
from tilmech.xliff import read_xliff
from web_support import workbench_runtime
from xliff_schemas import validate

SHOWCASE = "partners-showcase"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    return workbench_runtime(pseudo_project)


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_export_is_valid_and_read_by_translate_toolkit(rt: Runtime, version: str) -> None:
    text = services.xliff_export(rt, SHOWCASE, "ru", version)
    assert validate(text, version) == []
    items = services.review_list(rt, "ru", article=SHOWCASE)
    store = (xlifffile if version == "1.2" else Xliff2File).parsestring(text.encode("utf-8"))
    units = [u for u in store.units if u.source]
    assert len(units) == len(items)
    linked = next(i for i in items if "{1}Kyrgyz National University{/1}" in i.source)
    assert 'id="s' + linked.segment_id + '"' in text
    # inline markup as XLIFF inline codes, glossary terms and the version in notes
    if version == "1.2":
        assert '<g id="1" ctype="link">Kyrgyz National University</g>' in text
        assert 'approved="yes"' not in text and 'state="translated"' in text
        assert "<note from=\"glossary\">Kyrgyz National University → Кыргызский национальный университет</note>" in text
    else:
        assert '<pc id="1" dispStart="link https://knu.kg/en" dispEnd="link">Kyrgyz National University</pc>' in text
        assert '<note category="glossary">Kyrgyz National University → Кыргызский национальный университет</note>' in text
    parsed = read_xliff(text, "x.xlf")
    assert [(u.segment_id, u.source, u.target) for u in parsed.units] == [(i.segment_id, i.source, i.text)
                                                                         for i in items]


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_round_trip_applies_edits_and_refuses_what_changed(rt: Runtime, version: str, tmp_path: Path,
                                                            tilmech) -> None:  # type: ignore[no-untyped-def]
    text = services.xliff_export(rt, SHOWCASE, "ru", version)
    items = services.review_list(rt, "ru", article=SHOWCASE)
    title, summary, linked = items[0], items[1], next(i for i in items if "{1}Kyrgyz" in i.source)
    # a CAT tool edits three targets...
    edited = text.replace(f">{title.text}<", ">Партнёры Умного класса в КНУ<", 1)
    edited = edited.replace(f">{summary.text}<", ">Кто построил Умный класс<", 1)
    edited = re.sub(r'(id="s' + linked.segment_id + r'".*?<target[^>]*>).*?(</target>)',
                    r'\1Умный класс в <ph/>\2', edited, count=1, flags=re.S)
    edited = edited.replace("<ph/>", '<pc id="1" dispStart="link" dispEnd="link">Кыргызском национальном '
                            'университете</pc>' if version != "1.2" else
                            '<g id="1" ctype="link">Кыргызском национальном университете</g>')
    assert validate(edited, version) == []
    # ...while a colleague changes the summary in Tilmech
    services.review_edit(rt, summary.segment_id, "ru", "Правка коллеги", summary.version)
    path = tmp_path / f"showcase.{version}.xlf"
    path.write_text(edited, encoding="utf-8")
    result = tilmech("--project", rt.settings.root, "--user", "aida", "xliff", "import", path)
    assert result.code == 1
    report = dict(line.split("  ", 1) for line in result.out.splitlines())
    assert report[title.segment_id] == "edited"
    assert report[linked.segment_id] == "edited"
    assert report[summary.segment_id].startswith("refused: segment")
    assert "was changed by tester since you opened it" in report[summary.segment_id]
    assert sum(v == "unchanged" for v in report.values()) == len(items) - 3
    after = {i.segment_id: i for i in services.review_list(rt, "ru", article=SHOWCASE)}
    assert after[title.segment_id].text == "Партнёры Умного класса в КНУ"
    assert after[linked.segment_id].text.startswith("Умный класс в {1}Кыргызском национальном университете{/1}")
    assert after[summary.segment_id].text == "Правка коллеги"  # nothing overwritten
    history = services.review_show(rt, title.segment_id, "ru").history["ru"]
    assert history[-1].who == "aida" and history[-1].action == "edit"


def test_an_import_with_changed_english_is_refused(rt: Runtime) -> None:
    text = services.xliff_export(rt, SHOWCASE, "ru", "2.1")
    first = services.review_list(rt, "ru", article=SHOWCASE)[0]
    changed = text.replace(f"<source>{first.source}</source>", "<source>Another English title</source>")
    outcomes = services.xliff_import(rt, changed.replace(f">{first.text}<", ">Новый заголовок<"), "x.xlf")
    assert outcomes[0].outcome == "refused" and "English text changed" in outcomes[0].detail


def test_a_translator_cannot_import_another_language(rt: Runtime) -> None:
    from tilmech.errors import Forbidden

    text = services.xliff_export(rt, SHOWCASE, "ky", "2.1")
    aida = services.get_user(rt, "aida")
    assert aida is not None
    with pytest.raises(Forbidden):
        services.xliff_import(rt.acting_as(aida), text, "x.xlf")


def test_hostile_xliff_is_refused() -> None:
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<xliff version="2.1" xmlns="urn:oasis:names:tc:xliff:document:2.0"><file id="f">&b;</file></xliff>')
    with pytest.raises(InputError, match="refused"):
        read_xliff(bomb, "bomb.xlf")


@pytest.mark.parametrize("version", ["2.1", "1.2"])
def test_a_unit_without_its_version_note_is_refused(rt: Runtime, version: str) -> None:
    """Whether the text changed in Tilmech since the export cannot be told: the unit is not applied."""
    text = services.xliff_export(rt, SHOWCASE, "ru", version)
    title, summary = services.review_list(rt, "ru", article=SHOWCASE)[:2]
    services.review_edit(rt, title.segment_id, "ru", "Новее в Tilmech", title.version)  # after the export
    edited = text.replace(f">{title.text}<", ">Старое из файла<", 1).replace(f">{summary.text}<", ">Сводка<", 1)
    note = (r'<note from="tilmech-version">\d+</note>' if version == "1.2"
            else r'<note category="tilmech-version">\d+</note>')
    unit = re.search(r'id="s' + title.segment_id + r'".*?(?=id="s|\Z)', edited, flags=re.S)
    assert unit is not None
    stripped = edited[:unit.start()] + re.sub(note, "", unit.group(), count=1) + edited[unit.end():]
    assert stripped.count("tilmech-version") == text.count("tilmech-version") - 1
    outcomes = {o.segment_id: o for o in services.xliff_import(rt, stripped, "x.xlf")}
    assert outcomes[title.segment_id].outcome == "refused"
    assert "tilmech-version note is missing" in outcomes[title.segment_id].detail
    assert outcomes[summary.segment_id].outcome == "edited"  # the other units are applied
    after = {i.segment_id: i.text for i in services.review_list(rt, "ru", article=SHOWCASE)}
    assert after[title.segment_id] == "Новее в Tilmech"  # the newer text is not overwritten


def test_an_approval_in_the_file_of_text_changed_since_is_refused(rt: Runtime) -> None:
    """A reviewer approved the text the file showed; the text in Tilmech is another one now."""
    text = services.xliff_export(rt, SHOWCASE, "ru", "2.1")
    title = services.review_list(rt, "ru", article=SHOWCASE)[0]
    services.review_edit(rt, title.segment_id, "ru", "Новее в Tilmech", title.version)
    services.review_edit(rt, title.segment_id, "ru", title.text, title.version + 1)  # and back again
    approved = re.sub(r'(id="s' + title.segment_id + r'".*?<segment[^>]*?state=")[^"]*', r"\1final", text, count=1,
                      flags=re.S)
    assert approved != text
    outcomes = {o.segment_id: o for o in services.xliff_import(rt, approved, "x.xlf")}
    assert outcomes[title.segment_id].outcome == "refused" and "since you opened it" in outcomes[title.segment_id].detail
    assert services.review_show(rt, title.segment_id, "ru").items[0].state == "draft"
