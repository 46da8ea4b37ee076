"""The glossary as a use case: verify a pair, import and export term bases, check the
queue against the terms, statistics.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    UsageError,
)
from ..glossary import Term
from ..glossary.suggest import Candidate
from ..inputs import load_input
from ..qa import term_severity
from ..runtime import Runtime
from .documents import load_documents
from .review import review_list


@dataclass(frozen=True)
class TermFinding:
    severity: str
    code: str
    term: str  # term id
    message: str

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def verify_terms(rt: Runtime, lang: str, source: str, target: str) -> list[TermFinding]:
    """The glossary findings for one translation (any inflected form of a term holds)."""
    code = rt.settings.resolve_languages([lang])[0].code
    return [TermFinding(str(term_severity(issue.code)), issue.code, issue.term.id, issue.message)
            for issue in rt.matcher.verify(source, target, code)]


@dataclass(frozen=True)
class ImportReport:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    skipped: tuple[str, ...]  # identical to the term base already
    files: tuple[str, ...]  # glossary files written


def glossary_export(rt: Runtime, fmt: str) -> str:
    from ..glossary import exchange

    languages = list(rt.settings.target_languages)
    if fmt == "tbx":
        return exchange.write_tbx(rt.glossary.terms, languages)
    if fmt == "csv":
        return exchange.write_csv(rt.glossary.terms, languages)
    raise UsageError(f"unknown format {fmt!r}: use tbx or csv")


def glossary_import(rt: Runtime, path: Path, into: Path | None = None) -> ImportReport:
    """Merge a TBX or CSV file into the term base; new terms go to ``into`` (glossary/imported.yaml).

    Changed terms are rewritten in the file that holds them. Everything is checked
    (schema, conflicts) before any file is written; then each file is replaced in one step.
    """
    from ..glossary import exchange, read_glossary

    text = load_input(path, rt.settings.limits.import_bytes)
    suffix = path.suffix.lower()
    if suffix in (".tbx", ".xml"):
        imported = exchange.read_tbx(text, path.name)
    elif suffix == ".csv":
        imported = exchange.read_csv(text, path.name)
    else:
        raise UsageError(f"{path}: unknown format: give a .tbx or .csv file")
    read_glossary(exchange.write_yaml(imported), path.name)  # the declared schema, with key paths
    folder = rt.settings.path("glossary")
    target = Path(into) if into else folder / "imported.yaml"
    if not target.is_absolute():
        target = (rt.settings.root / target).resolve()
    by_file: dict[Path, list[Term]] = {}
    for term in rt.glossary.terms:
        by_file.setdefault(folder / term.source.rsplit(":", 1)[0].split("/")[-1], []).append(term)
    by_file.setdefault(target, [])
    current = {t.id: t for t in rt.glossary.terms}
    added, changed, skipped = [], [], []
    touched: set[Path] = set()
    for term in imported:
        old = current.get(term.id)
        if old is None:
            by_file[target].append(term)
            added.append(term.id)
            touched.add(target)
        elif dataclasses.replace(old, source="") == dataclasses.replace(term, source=""):
            skipped.append(term.id)
        else:
            owner = next(f for f, terms in by_file.items() if any(t.id == term.id for t in terms))
            by_file[owner] = [term if t.id == term.id else t for t in by_file[owner]]
            changed.append(term.id)
            touched.add(owner)
    texts = {f: exchange.write_yaml(by_file[f]) for f in touched}
    _write_checked(rt, folder, texts)
    return ImportReport(tuple(added), tuple(changed), tuple(skipped), tuple(sorted(str(f) for f in texts)))


@dataclass(frozen=True)
class TermViolation:
    segment_id: str
    article: str
    lang: str
    state: str
    finding: TermFinding


def glossary_check(rt: Runtime, lang: str | None = None) -> list[TermViolation]:
    """Glossary violations in the current text of every segment of the queue."""
    out = []
    for item in review_list(rt, lang):
        for finding in verify_terms(rt, item.lang, item.source, item.text):
            out.append(TermViolation(item.segment_id, item.article, item.lang, item.state, finding))
    return out


@dataclass(frozen=True)
class GlossaryStats:
    terms: int
    without_rendering: dict[str, tuple[str, ...]]  # lang -> term ids with no approved rendering
    unused: tuple[str, ...]  # term ids never seen in the English content
    violations: tuple[tuple[str, str, str, int], ...]  # (lang, term id, code, count), most frequent first


def glossary_stats(rt: Runtime) -> GlossaryStats:
    terms = rt.glossary.terms
    without = {code: tuple(t.id for t in terms if not t.allowed(code)) for code in rt.settings.target_languages}
    seen = {m.term.id for doc in load_documents(rt) for seg in doc.segments for m in rt.matcher.find(seg.text)}
    counts: dict[tuple[str, str, str], int] = {}
    for v in glossary_check(rt):
        key = (v.lang, v.finding.term, v.finding.code)
        counts[key] = counts.get(key, 0) + 1
    ranked = sorted(((*k, n) for k, n in counts.items()), key=lambda r: (-r[3], r[0], r[1], r[2]))
    return GlossaryStats(len(terms), without, tuple(t.id for t in terms if t.id not in seen), tuple(ranked))


@dataclass(frozen=True)
class SuggestReport:
    candidates: tuple[Candidate, ...]  # most frequent first
    written: tuple[str, ...]  # term ids written as status: proposed
    file: str  # where they were written ("" without --write)


def glossary_suggest(rt: Runtime, *, min_count: int = 2, limit: int | None = None, write: bool = False,
                     into: Path | None = None) -> SuggestReport:
    """Candidate terms from the English articles (content/en/) that the term base does not hold yet:
    acronyms with their expansions, names of people, organisations and other proper-noun phrases,
    with counts and example sentences. ``write``: add them to ``into`` (glossary/proposed.yaml) as
    ``status: proposed`` entries (hints for translators, not enforced), checked before writing."""
    from ..articles import load_articles
    from ..glossary import exchange, read_glossary
    from ..glossary.suggest import suggest_terms, term_id
    from ..markdown.extract import segment_article
    from ..markdown.placeholders import PLACEHOLDER_RE

    if min_count < 1:
        raise UsageError(f"--min-count {min_count}: give 1 or more")
    settings = rt.settings
    sentences = [PLACEHOLDER_RE.sub(" ", seg.text) for article in load_articles(settings.content_dir, settings.root)
                 for seg in segment_article(article).segments if seg.field != "title"]  # titles: every word capitalised
    candidates = tuple(suggest_terms(sentences, rt.matcher, min_count=min_count)[:limit])
    if not write or not candidates:
        return SuggestReport(candidates, (), "")
    folder = settings.path("glossary")
    target = Path(into) if into else folder / "proposed.yaml"
    if not target.is_absolute():
        target = (settings.root / target).resolve()
    existing = read_glossary(target.read_text(encoding="utf-8"), target.name) if target.exists() else []
    taken = [t.id for t in rt.glossary.terms] + [t.id for t in existing]
    new: list[Term] = []
    for c in candidates:
        tid = term_id(c.text, taken)
        taken.append(tid)
        pos = {"expansion": "organization", "acronym": "acronym", "person": "person",
               "organization": "organization"}.get(c.kind, "proper-noun")
        note = f"proposed by `tilmech glossary suggest`: {c.count} uses in content/en/, e.g. {c.examples[0]!r}"
        new.append(Term(tid, c.text, (c.acronym,) if c.acronym else (), False, {}, {}, True, note, "", pos,
                        "proposed"))
    _write_checked(rt, folder, {target: exchange.write_yaml([*existing, *new])})
    return SuggestReport(candidates, tuple(t.id for t in new), str(target))


def _write_checked(rt: Runtime, folder: Path, texts: dict[Path, str]) -> None:
    """Write ``texts`` (file -> YAML) into the term base ``folder``, once the merged term base (the
    folder's files with these in their place) loads: conflicting ids or forms write nothing. Each
    file is replaced in one step; the runtime reads the new term base on next use."""
    import tempfile

    from ..glossary import load_glossary

    with tempfile.TemporaryDirectory() as tmp:
        for f in folder.glob("*.y*ml"):
            (Path(tmp) / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        for f, content in texts.items():
            (Path(tmp) / f.name).write_text(content, encoding="utf-8")
        load_glossary(Path(tmp))
    for f, content in texts.items():
        f.parent.mkdir(parents=True, exist_ok=True)
        staging = f.with_name(f".{f.name}.tmp")
        staging.write_text(content, encoding="utf-8")
        staging.replace(f)
    rt.__dict__.pop("glossary", None)
    rt.__dict__.pop("matcher", None)
