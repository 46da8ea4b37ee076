"""Hostile input through the command line: one line naming the file (and line), exit 2, nothing written.

Each case puts one bad file where a user would, runs the command that reads it, and
checks the message and that no project file and no row of the store changed.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from tilmech import services
from tilmech.runtime import load_runtime

CORPUS = Path(__file__).resolve().parent / "corpus"


def snapshot(project: Path) -> dict[str, str]:
    """Every file of the project by content, and every row of the store."""
    out = {str(p.relative_to(project)): hashlib.sha256(p.read_bytes()).hexdigest()
           for p in sorted(project.rglob("*")) if p.is_file() and not p.name.startswith("tilmech.db")}
    db = project / "tilmech.db"
    if db.exists():
        with sqlite3.connect(db) as conn:
            for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                rows = conn.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
                out[f"table {table}"] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


@pytest.fixture
def translated(pseudo_project: Path) -> Path:
    rt = load_runtime(pseudo_project)
    services.ingest(rt)
    services.translate_language(rt, "ru")
    rt.close()
    return pseudo_project


def put(project: Path, relative: str, data: str | bytes) -> Path:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


BOMB = (CORPUS / "glossary" / "hostile-yaml-alias-bomb.yaml").read_text(encoding="utf-8")

CASES = [
    # (name, file to put, its content, command, expected start of the message)
    ("front matter: invalid YAML", "content/en/bad.md", "---\ntitle: [unclosed\ndate: 2024-01-01\n---\n\nText.\n",
     ["translate", "--lang", "ru"], "error: content/en/bad.md:2: invalid YAML"),
    ("front matter: a Python tag", "content/en/bad.md", (CORPUS / "article" / "hostile-python-tag.md").read_text(),
     ["translate", "--lang", "ru"], "error: content/en/bad.md:2: title: expected a string"),
    ("front matter: a NUL character", "content/en/bad.md", "---\ntitle: A\x00B\ndate: 2024-01-01\n---\n\nText.\n",
     ["translate", "--lang", "ru"], "error: content/en/bad.md:2: invalid YAML: character #x0000 is not allowed"),
    ("article: not UTF-8", "content/en/bad.md", b"---\ntitle: Caf\xe9\ndate: 2024-01-01\n---\n",
     ["translate", "--lang", "ru"], "error: content/en/bad.md:2: not UTF-8 text (byte 14): save the file as UTF-8"),
    ("glossary: an alias bomb", "glossary/bomb.yaml", BOMB, ["translate", "--lang", "ru"],
     "error: glossary/bomb.yaml:"),
    ("glossary: deeply nested", "glossary/deep.yaml", "terms: " + "[" * 5000 + "]" * 5000 + "\n",
     ["translate", "--lang", "ru"], "error: glossary/deep.yaml: invalid YAML: nested too deeply"),
    ("settings: a Python tag", "tilmech.yaml", "store: !!python/object/apply:os.system ['echo pwned']\n",
     ["status"], "error: tilmech.yaml:1: store: expected a string"),
    ("settings: an alias bomb", "tilmech.yaml", BOMB, ["status"], "error: tilmech.yaml:"),
    ("TBX: an external entity", "in/xxe.tbx", (CORPUS / "tbx" / "external-entity.tbx").read_text(),
     ["glossary", "import", "in/xxe.tbx"], "error: xxe.tbx: refused: "),
    ("TBX: an entity bomb", "in/bomb.tbx", (CORPUS / "tbx" / "entity-bomb.tbx").read_text(),
     ["glossary", "import", "in/bomb.tbx"], "error: bomb.tbx: refused: "),
    ("TBX: nested too deeply", "in/deep.tbx", (CORPUS / "tbx" / "hostile-deep-nesting.tbx").read_text(),
     ["glossary", "import", "in/deep.tbx"], "error: deep.tbx: elements nested more than 64 deep"),
    ("CSV: an unclosed quote", "in/terms.csv", 'id,en,ru\nx,"unclosed,quote\n',
     ["glossary", "import", "in/terms.csv"], "error: terms.csv:"),
    ("CSV: a NUL byte", "in/terms.csv", "id,en,ru\nx\x00,a,b\n", ["glossary", "import", "in/terms.csv"],
     "error: terms.csv:"),
    ("CSV: not UTF-8", "in/terms.csv", b"id,en,ru\nx,caf\xe9,\xea\n", ["glossary", "import", "in/terms.csv"],
     "error: in/terms.csv:2: not UTF-8 text (byte 14): save the file as UTF-8"),
    ("XLIFF: an external entity", "in/xxe.xlf", (CORPUS / "xliff" / "hostile-external-entity.xlf").read_text(),
     ["xliff", "import", "in/xxe.xlf"], "error: xxe.xlf: refused: "),
    ("XLIFF: an entity bomb", "in/bomb.xlf", (CORPUS / "xliff" / "hostile-entity-bomb.xlf").read_text(),
     ["xliff", "import", "in/bomb.xlf"], "error: bomb.xlf: refused: "),
    ("XLIFF: nested too deeply", "in/deep.xlf", (CORPUS / "xliff" / "hostile-deep-nesting.xlf").read_text(),
     ["xliff", "import", "in/deep.xlf"], "error: deep.xlf: elements nested more than 64 deep"),
    ("XLIFF: not XLIFF", "in/page.xlf", "<html><body>not xliff</body></html>", ["xliff", "import", "in/page.xlf"],
     "error: page.xlf"),
    ("XLIFF: broken XML", "in/broken.xlf", '<xliff version="2.0">\n<file>\n<unit id="s1">\n</xliff>\n',
     ["xliff", "import", "in/broken.xlf"], "error: broken.xlf:4: invalid XML"),
    ("HTML import: no article in it", "in/page.html", "<html><body><script>alert(1)</script></body></html>",
     ["import-html", "in/page.html", "--slug", "page"], "error: page.html: no text found"),
]


@pytest.mark.parametrize(("name", "relative", "content", "command", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_line_and_writes_nothing(translated: Path, tilmech, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                                     name: str, relative: str, content: str | bytes,
                                                     command: list[str], message: str) -> None:
    monkeypatch.chdir(translated)
    put(translated, relative, content)
    before = snapshot(translated)
    result = tilmech("--project", translated, *command)
    assert result.code == 2, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.err
    assert "Traceback" not in result.err + result.out
    assert snapshot(translated) == before


def test_an_import_larger_than_the_limit_is_refused_before_it_is_read(translated: Path, tilmech,  # type: ignore[no-untyped-def]
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settings = translated / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("import_bytes: 20000000", "import_bytes: 1000"),
                        encoding="utf-8")
    monkeypatch.chdir(translated)
    for relative, command in (("in/big.xlf", ["xliff", "import"]), ("in/big.csv", ["glossary", "import"]),
                              ("in/big.html", ["import-html"])):
        put(translated, relative, "x" * 1001)
        before = snapshot(translated)
        extra = ["--slug", "big"] if command == ["import-html"] else []
        result = tilmech("--project", translated, *command, relative, *extra)
        assert result.code == 2
        assert result.err.strip() == (f"error: {relative}: larger than the limit of 1,000 bytes: split it, or raise "
                                      "limits.import_bytes in tilmech.yaml")
        assert snapshot(translated) == before


def test_a_bad_glossary_import_leaves_every_glossary_file_as_it_was(translated: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """The first rows are fine, a later one is not: nothing of the file is merged."""
    rows = "id,en,ru\n" + "".join(f"term-{n},Term {n},Термин {n}\n" for n in range(20)) + "broken,,\n"
    put(translated, "in/terms.csv", rows)
    before = snapshot(translated)
    result = tilmech("--project", translated, "glossary", "import", translated / "in/terms.csv")
    assert result.code == 2 and result.err.strip() == "error: terms.csv:22: every row needs an id and an en term"
    assert snapshot(translated) == before
    assert not (translated / "glossary" / "imported.yaml").exists()


def test_the_corpus_of_bad_articles_never_gives_a_traceback(translated: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    content = translated / "content" / "en"
    for path in sorted((CORPUS / "article").glob("*.md")):
        for old in content.glob("*.md"):
            old.unlink()
        shutil.copy(path, content / "probe.md")
        result = tilmech("--project", translated, "glossary", "stats")  # reads and segments every article
        assert "Traceback" not in result.err + result.out, path.name
        assert result.code in (0, 2), (path.name, result)
        if result.code:
            assert result.err.startswith("error: content/en/probe.md"), (path.name, result.err)
