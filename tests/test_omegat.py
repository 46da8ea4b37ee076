"""OmegaT (3.6, the Debian package ``omegat``) translates our XLIFF 1.2 in console mode, and it imports back.

OmegaT is run headless on a project made here: the exported XLIFF in ``source/``,
a TMX 1.4 memory in ``tm/auto/`` (whose exact matches OmegaT applies by itself),
and ``omegat --mode=console-translate`` writes the translated file to ``target/``.

What OmegaT 3.6 needs, found by experiment:

* the project folder counts as one only when it holds both the file
  ``omegat.project`` and the folder ``omegat/``; otherwise OmegaT ignores the
  argument and fails with "Unable to read project file! NullPointerException:
  ... projectDir is null";
* the glossary (and dictionary) folders named in ``omegat.project`` must exist;
* ``--config-dir=`` keeps its preferences and log out of ``$HOME``;
* its XLIFF filter translates the text of ``<target>`` (``<source>`` is left
  alone), so a memory entry's source is our pre-filled draft, inline codes
  written as OmegaT's tags ``<g0>…</g0>``, ``<x1/>`` (numbered from 0 in order);
* it keeps ids, notes, ``state`` and the inline codes; it only rewrites
  ``<x … />`` as ``<x …/>`` and drops the final newline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tilmech import services
from tilmech.runtime import Runtime
from tilmech.xliff import XLIFF1, read_xliff
from web_support import workbench_runtime

ARTICLE = "smart-classroom-kyrgyzstan"
SHOWCASE = "partners-showcase"  # has links, bold, italic and atomic codes
INSTALL = "OmegaT is needed for this test: apt-get install omegat (it brings Java)"

PROJECT_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<omegat>
  <project version="1.0">
    <source_dir>source</source_dir>
    <target_dir>target</target_dir>
    <tm_dir>tm</tm_dir>
    <glossary_dir>glossary</glossary_dir>
    <glossary_file>glossary/glossary.txt</glossary_file>
    <dictionary_dir>dictionary</dictionary_dir>
    <source_lang>en</source_lang>
    <target_lang>ru</target_lang>
    <source_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</source_tok>
    <target_tok>org.omegat.tokenizer.LuceneRussianTokenizer</target_tok>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
"""


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    return workbench_runtime(pseudo_project)


def omegat_tags(text: str) -> str:
    """Our placeholders as OmegaT shows the XLIFF 1.2 inline codes: <g0>…</g0>, <x1/>."""
    numbers: dict[str, int] = {}

    def tag(m: re.Match[str]) -> str:
        closing, number = m.group(1), m.group(2)
        if closing:
            return f"</g{numbers[number]}>"
        numbers[number] = len(numbers)
        paired = f"{{/{number}}}" in text[m.end():]
        return f"<g{numbers[number]}>" if paired else f"<x{numbers[number]}/>"

    return re.sub(r"\{(/?)(\d+)\}", tag, text)


def write_tmx(path: Path, memory: dict[str, str]) -> None:
    """A TMX 1.4 memory, English as its source language as OmegaT wants (the text is our draft)."""
    units = "".join(f'    <tu>\n      <tuv xml:lang="en"><seg>{escape(source)}</seg></tuv>\n'
                    f'      <tuv xml:lang="ru"><seg>{escape(target)}</seg></tuv>\n    </tu>\n'
                    for source, target in memory.items())
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
                    '  <header creationtool="tilmech-tests" creationtoolversion="1" segtype="paragraph"'
                    ' o-tmf="tilmech" adminlang="en" srclang="en" datatype="plaintext"/>\n'
                    f"  <body>\n{units}  </body>\n</tmx>\n", encoding="utf-8")


def omegat_translate(folder: Path, name: str, xliff: str, memory: dict[str, str]) -> str:
    """Translate one XLIFF file with OmegaT in console mode; returns the file it wrote in target/."""
    omegat = shutil.which("omegat")
    if omegat is None or shutil.which("java") is None:
        pytest.fail(INSTALL)
    project = folder / "omegat-project"
    for sub in ("source", "target", "tm/auto", "glossary", "dictionary", "omegat"):
        (project / sub).mkdir(parents=True)
    (project / "omegat.project").write_text(PROJECT_FILE, encoding="utf-8")
    (project / "source" / name).write_text(xliff, encoding="utf-8")
    write_tmx(project / "tm" / "auto" / "tilmech-fixes.tmx", memory)
    (folder / "home").mkdir()
    started = time.monotonic()
    done = subprocess.run([omegat, str(project), "--mode=console-translate",
                           f"--config-dir={folder / 'omegat-config'}"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(folder / "home")})
    log = done.stdout + done.stderr
    result = project / "target" / name
    assert done.returncode == 0 and result.is_file(), f"OmegaT failed ({done.returncode}):\n{log[-4000:]}"
    assert ": Error: " not in log, log[-4000:]
    assert time.monotonic() - started < 60
    assert not any((folder / "home").iterdir())  # nothing written to $HOME
    return result.read_text(encoding="utf-8")


def unit_ids(text: str) -> list[str]:
    root = ET.fromstring(text.encode("utf-8"))
    return [tu.get("id", "") for tu in root.iter(f"{{{XLIFF1}}}trans-unit")]


def notes(text: str) -> list[tuple[str, str, str]]:
    root = ET.fromstring(text.encode("utf-8"))
    return [(tu.get("id", ""), n.get("from", ""), n.text or "")
            for tu in root.iter(f"{{{XLIFF1}}}trans-unit") for n in tu.iter(f"{{{XLIFF1}}}note")]


def check_round_trip(rt: Runtime, article: str, tmp_path: Path, fixes: dict[str, str]) -> None:
    """Export ``article`` in ru, let OmegaT apply ``fixes`` (segment id → new text), import the result."""
    exported = services.xliff_export(rt, article, "ru", "1.2")
    items = {i.segment_id: i for i in services.review_list(rt, "ru", article=article)}
    memory = {omegat_tags(items[sid].text): omegat_tags(new) for sid, new in fixes.items()}

    translated = omegat_translate(tmp_path, f"{article}.ru.xlf", exported, memory)

    # every unit is still there, with its id, English source, notes and state
    assert unit_ids(translated) == unit_ids(exported) == [f"s{sid}" for sid in items]
    assert notes(translated) == notes(exported)
    before, after = read_xliff(exported, "export"), read_xliff(translated, "omegat")
    assert after.target_lang == "ru" and after.original == before.original
    for old, new in zip(before.units, after.units, strict=True):
        assert (new.segment_id, new.source, new.version, new.approved) == \
            (old.segment_id, old.source, old.version, old.approved)
        assert new.target == fixes.get(new.segment_id, old.target)

    translator = services.get_user(rt, "aida")
    assert translator is not None
    outcomes = services.xliff_import(rt.acting_as(translator), translated, f"{article}.ru.xlf")
    report = {o.segment_id: (o.outcome, o.detail) for o in outcomes}
    assert report == {sid: ("edited" if sid in fixes else "unchanged", "") for sid in items}
    stored = {i.segment_id: i for i in services.review_list(rt, "ru", article=article)}
    for sid, item in items.items():
        assert stored[sid].text == fixes.get(sid, item.text)
        assert stored[sid].version == item.version + (sid in fixes)


def test_omegat_translates_the_xliff_1_2_export_and_it_imports_back(rt: Runtime, tmp_path: Path) -> None:
    items = services.review_list(rt, "ru", article=ARTICLE)
    title, summary = items[0], items[1]
    check_round_trip(rt, ARTICLE, tmp_path, {
        title.segment_id: "Церемония открытия Умного класса в Кыргызстане",
        summary.segment_id: "UNESCO-ICHEI и Кыргызский национальный университет открыли первый Умный "
                            "класс, созданный по инициативе ICHEI в Центральной Азии.",
    })


def test_omegat_keeps_the_inline_codes(rt: Runtime, tmp_path: Path) -> None:
    items = services.review_list(rt, "ru", article=SHOWCASE)
    linked = next(i for i in items if "{1}Kyrgyz National University{/1}" in i.source)
    atomic = next(i for i in items if "(model {1})" in i.source)
    check_round_trip(rt, SHOWCASE, tmp_path, {
        linked.segment_id: "Умный класс в {1}Кыргызском национальном университете{/1} — совместная "
                           "инициатива {2}UNESCO-ICHEI{/2} и её партнёров.",
        atomic.segment_id: "CreateView Education Technology поставила оборудование (модель {1}).",
    })
