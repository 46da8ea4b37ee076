"""TMX 1.4b exchange: `tilmech tm export` is read by translate-toolkit and OmegaT, `tm import` is
lossless, idempotent, never approves anything, and refuses hostile XML."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import on_store
from test_omegat import PROJECT_FILE
from tilmech import services
from tilmech.runtime import Runtime, load_runtime
from tilmech.store import MemoryRow
from tilmech.xliff import XLIFF1
from web_support import PASSWORD

SHOWCASE = "partners-showcase"  # links, bold, italic and atomic codes
SEED = "smart-classroom-kyrgyzstan"


def _drafted(project: Path) -> Runtime:
    rt = load_runtime(project)
    services.ingest(rt)
    services.translate_language(rt, "ru")
    services.users_add(rt, "elena", "editor", PASSWORD, [])
    services.users_add(rt, "aida", "translator", PASSWORD, ["ru"])
    return rt


def _memory(rt: Runtime, origin: str) -> list[tuple[str, str, str]]:
    with rt.store.reading() as s:
        return sorted((m.source, m.target, m.lang) for m in s.scalars(select(MemoryRow).where(MemoryRow.origin == origin)))


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_export_is_read_by_translate_toolkit_and_imports_back_losslessly_and_once(
        pseudo_project: Path, store: str, request: pytest.FixtureRequest, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    from translate.storage.tmx import tmxfile

    rt = _drafted(on_store(pseudo_project, store, request))
    services.review_approve(rt, "ru", article=SHOWCASE)
    items = services.review_list(rt, "ru")
    assert any("{/1}" in i.source for i in items) and any(re.search(r"\{\d+\}(?!.*\{/)", i.source) for i in items)
    p = ("--project", pseudo_project, "--user", "elena")
    out = tmp_path / "ru.tmx"
    exported = tilmech(*p, "tm", "export", "--lang", "ru", "-o", out)
    pairs = sorted({(i.source, i.text) for i in items})
    assert exported.code == 0 and exported.out.strip() == f"wrote {out} ({len(pairs)} units)", exported

    # translate-toolkit reads every unit, placeholders as their native codes: our text
    units = tmxfile(out.read_bytes()).units
    assert sorted((str(u.source), str(u.target)) for u in units) == pairs
    root = ET.fromstring(out.read_bytes())
    assert root.get("version") == "1.4" and root.find("header").get("srclang") == "en"  # type: ignore[union-attr]
    assert {tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in root.iter("tuv")} == {"en", "ru"}
    assert root.find(".//bpt") is not None and root.find(".//ph") is not None

    only = tmp_path / "approved.tmx"
    assert tilmech(*p, "tm", "export", "--lang", "ru", "--approved-only", "-o", only).code == 0
    approved = {(i.source, i.text) for i in items if i.state == "approved"}
    assert {(str(u.source), str(u.target)) for u in tmxfile(only.read_bytes()).units} == approved

    # import: every unit becomes memory of the origin, exactly; a second import adds nothing
    first = tilmech(*p, "tm", "import", out, "--origin", "round-trip")
    assert first.code == 0 and first.out.strip() == \
        f"round-trip: {len(pairs)} units read, {len(pairs)} added, 0 known before (ru)", first
    assert _memory(rt, "round-trip") == sorted((s, t, "ru") for s, t in pairs)
    again = tilmech(*p, "tm", "import", out, "--origin", "round-trip")
    assert again.out.strip() == f"round-trip: {len(pairs)} units read, 0 added, {len(pairs)} known before (ru)"
    assert _memory(rt, "round-trip") == sorted((s, t, "ru") for s, t in pairs)
    # ...never as translations: nothing in the queue changed
    assert services.review_list(rt, "ru") == items
    # the default origin is the file's name
    assert tilmech(*p, "tm", "import", only).out.startswith(f"approved: {len(approved)} units read")


def test_export_refuses_an_unknown_language_and_a_missing_folder(pseudo_project: Path, tmp_path: Path,
                                                                 tilmech) -> None:  # type: ignore[no-untyped-def]
    _drafted(pseudo_project)
    p = ("--project", pseudo_project, "--user", "elena")
    bad = tilmech(*p, "tm", "export", "--lang", "xx", "-o", tmp_path / "x.tmx")
    assert bad.code == 2 and not (tmp_path / "x.tmx").exists()
    missing = tilmech(*p, "tm", "export", "--lang", "ru", "-o", tmp_path / "no" / "x.tmx")
    assert missing.code == 2 and "does not exist" in missing.err


@pytest.mark.parametrize(("name", "text", "message"), [
    ("laughs.tmx", '<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                   '<tmx version="1.4"><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>&b;</seg></tuv>'
                   '<tuv xml:lang="ru"><seg>x</seg></tuv></tu></body></tmx>', "refused"),
    ("external.tmx", '<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                     '<tmx version="1.4"><header srclang="en"/><body><tu><tuv xml:lang="en"><seg>&e;</seg></tuv>'
                     '</tu></body></tmx>', "refused"),
    ("broken.tmx", '<tmx version="1.4"><header srclang="en"/>\n<body><tu></body></tmx>', "broken.tmx:2: invalid XML"),
    ("xliff.tmx", '<xliff version="1.2"/>', "not a TMX document"),
    ("french.tmx", '<tmx version="1.4"><header srclang="fr"/><body/></tmx>', "its source language is 'fr'"),
])
def test_import_refuses_hostile_and_wrong_files(pseudo_project: Path, tmp_path: Path, name: str, text: str,
                                                message: str, tilmech) -> None:  # type: ignore[no-untyped-def]
    rt = _drafted(pseudo_project)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = tilmech("--project", pseudo_project, "--user", "elena", "tm", "import", path)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1, result
    assert _memory(rt, path.stem) == []


def test_other_tools_inline_codes_become_placeholders(pseudo_project: Path) -> None:
    from tilmech.languages import get_language

    text = ('<tmx version="1.4"><header srclang="en-US"/><body><tu><tuv xml:lang="en-US"><seg>Visit '
            '<bpt i="7">&lt;a href="x"&gt;</bpt>KNU<ept i="7">&lt;/a&gt;</ept> <ph>&lt;br/&gt;</ph> '
            '<hi>now</hi></seg></tuv><tuv lang="ZH-CN"><seg>访问<bpt i="7">&lt;a&gt;</bpt>KNU<ept i="7">'
            '&lt;/a&gt;</ept></seg></tuv><tuv xml:lang="de"><seg>Besuch</seg></tuv></tu></body></tmx>')
    units = services.read_tmx(text, "memoq.tmx", source_lang=get_language("en"),
                               targets=[get_language(c) for c in ("ru", "zh")])
    assert [(u.source, u.target, u.lang) for u in units] == [("Visit {1}KNU{/1} {2} now", "访问{1}KNU{/1}", "zh")]


# -- OmegaT ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_omegat_fills_an_xliff_export_from_the_tmx_export(pseudo_project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """A new article repeats sentences approved elsewhere: OmegaT, given our TMX export in tm/auto/,
    fills those segments of the article's XLIFF 1.2 export (its targets emptied, as for a fresh
    translation) in console mode; the others keep the English."""
    omegat = shutil.which("omegat")
    if omegat is None or shutil.which("java") is None:
        pytest.fail("OmegaT is needed for this test: apt-get install omegat (it brings Java)")
    seed = (pseudo_project / "content" / "en" / f"{SEED}.md").read_text(encoding="utf-8")
    rt = _drafted(pseudo_project)
    items = services.review_list(rt, "ru", article=SEED)
    plain = [i for i in items if "{" not in i.source and i.field == "body"][:2]
    approved = {i.source: f"Одобренный перевод номер {n}." for n, i in enumerate(plain, 1)}
    for item in plain:
        edited = services.review_edit(rt, item.segment_id, "ru", approved[item.source])
        services.review_approve(rt, "ru", [item.segment_id], acknowledge=[f.code for f in edited.findings])
    # the new article: those two sentences, and one never translated
    (pseudo_project / "content" / "en" / "follow-up.md").write_text(
        "---\ntitle: Follow-up visit\ndate: 2024-06-01\n---\n\n" + " ".join(approved) +
        " The delegation returned in autumn.\n", encoding="utf-8")
    assert "title:" in seed
    services.ingest(rt)
    services.translate_language(rt, "ru")

    project = tmp_path / "omegat-project"
    for sub in ("source", "target", "tm/auto", "glossary", "dictionary", "omegat"):
        (project / sub).mkdir(parents=True)
    (project / "omegat.project").write_text(PROJECT_FILE, encoding="utf-8")
    p = ("--project", pseudo_project, "--user", "elena")
    assert tilmech(*p, "tm", "export", "--lang", "ru", "--approved-only", "-o", project / "tm" / "auto" /
                   "tilmech.tmx").code == 0
    xliff = ET.fromstring(services.xliff_export(rt, "follow-up", "ru", "1.2").encode("utf-8"))
    for tu in xliff.iter(f"{{{XLIFF1}}}trans-unit"):  # a fresh translation: the English copied to the targets
        source, target = tu.find(f"{{{XLIFF1}}}source"), tu.find(f"{{{XLIFF1}}}target")
        assert source is not None and target is not None
        target.clear()
        target.text, target.attrib["state"] = source.text, "new"
        target.extend(list(source))
    ET.register_namespace("", XLIFF1)
    (project / "source" / "follow-up.xlf").write_text(ET.tostring(xliff, encoding="unicode"), encoding="utf-8")
    (tmp_path / "home").mkdir()
    done = subprocess.run([omegat, str(project), "--mode=console-translate", f"--config-dir={tmp_path / 'config'}"],
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp_path / "home")})
    result = project / "target" / "follow-up.xlf"
    assert done.returncode == 0 and result.is_file(), (done.stdout + done.stderr)[-4000:]

    translated = ET.fromstring(result.read_bytes())
    filled = {}
    for tu in translated.iter(f"{{{XLIFF1}}}trans-unit"):
        source, target = tu.find(f"{{{XLIFF1}}}source"), tu.find(f"{{{XLIFF1}}}target")
        filled["".join(source.itertext()) if source is not None else ""] = \
            "".join(target.itertext()) if target is not None else None
    for english, russian in approved.items():
        assert filled[english] == russian, filled
    assert filled["The delegation returned in autumn."] in (None, "The delegation returned in autumn.")
