"""Engines compared on a sample: nothing is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import (
    TilmechError,
    UsageError,
)
from ..mt import model_info
from ..mt.chain import ChainLink, translate_with_chain
from ..qa import Finding, Severity
from ..runtime import Runtime
from .documents import load_documents
from .quality import check_draft, draft_risk
from .translate import mt_contexts


@dataclass(frozen=True)
class EngineOutput:
    engine: str
    text: str
    score: float | None
    findings: tuple[Finding, ...]
    error: str | None = None
    risk: float | None = None  # the review queue's risk score of this output (0 safe to 100)


@dataclass(frozen=True)
class ComparedSegment:
    segment_id: str
    article: str
    source: str
    outputs: tuple[EngineOutput, ...]  # one per engine, in the order asked


@dataclass(frozen=True)
class EngineSummary:
    engine: str
    model: str
    version: str
    segments: int  # translated
    flagged: int  # with any QA finding
    critical: int  # with a critical QA finding
    findings: int
    mean_score: float | None
    seconds: float
    failure: str = ""  # the engine could not run at all
    mean_risk: float | None = None  # mean risk score of its outputs


@dataclass(frozen=True)
class Comparison:
    lang: str
    engines: tuple[EngineSummary, ...]
    segments: tuple[ComparedSegment, ...]


def compare_engines(rt: Runtime, lang_code: str, engine_names: Sequence[str], article: str | None = None,
                    sample: int = 20) -> Comparison:
    """Translate a sample of segments with each engine, without writing anything, and check each output.

    The sample is spread evenly over the segments of ``article`` (all articles when
    None). Each output goes through the glossary restoration and the QA checks of
    a real draft, so the findings are those a reviewer would see.
    """
    import time

    lang = rt.settings.resolve_languages([lang_code])[0]
    source = rt.settings.source
    known = (*rt.settings.engine_chain(lang.code), "argos", "pseudo", *rt.settings.engine_defs)
    names = list(dict.fromkeys(engine_names))
    for name in names:
        if name not in known:
            raise UsageError(f"unknown engine {name!r}: use argos, pseudo or a name from engine_defs in tilmech.yaml"
                             + (f" ({', '.join(rt.settings.engine_defs)})" if rt.settings.engine_defs else ""))
    if not names:
        raise UsageError("name at least one engine: --engines argos,ct2-nllb")
    if sample < 1:
        raise UsageError("--sample must be at least 1")
    docs = load_documents(rt, [article] if article else None)
    segments = [seg for doc in docs for seg in doc.segments]
    step = max(1, len(segments) / sample)
    chosen = {segments[int(i * step)].id for i in range(min(sample, len(segments)))}
    picked = [seg for seg in segments if seg.id in chosen]
    protected = {seg.id: rt.matcher.protect(seg.text, lang.code) for seg in picked}
    contexts = mt_contexts(rt, [doc.segments for doc in docs], chosen, protected, lang)
    inputs = list(dict.fromkeys(protected[seg.id].text for seg in picked))
    summaries: list[EngineSummary] = []
    outputs: dict[str, list[EngineOutput]] = {seg.id: [] for seg in picked}
    for name in names:
        started = time.perf_counter()
        try:
            engine = rt.engine_named(name)
            info = model_info(engine, source, lang)
            outcome = translate_with_chain([ChainLink(engine, info)], inputs, source, lang, contexts)
            if outcome.failure is not None:
                raise outcome.failure
        except TilmechError as exc:
            summaries.append(EngineSummary(name, "", "", 0, 0, 0, 0, None, time.perf_counter() - started, str(exc)))
            for seg in picked:
                outputs[seg.id].append(EngineOutput(name, "", None, (), str(exc)))
            continue
        seconds = time.perf_counter() - started
        flagged = critical = count = translated = 0
        scores: list[float] = []
        risks: list[float] = []
        for seg in picked:
            key = protected[seg.id].text
            draft = outcome.drafts.get(key)
            if draft is None:
                outputs[seg.id].append(EngineOutput(name, "", None, (), outcome.unfinished.get(key, "not translated")))
                continue
            translated += 1
            restored = rt.matcher.restore(draft.text, protected[seg.id], lang.code)
            findings = check_draft(rt, seg, restored.text, lang)
            if draft.error:
                findings.append(Finding("engine", Severity.FUNCTIONAL, f"{name}: {draft.error}"))
            findings += [Finding("term-lost", Severity.FUNCTIONAL,
                                 f"MT lost glossary term {m.text!r}: insert {m.term.rendering(lang.code)!r}")
                         for m in restored.lost]
            flagged += bool(findings)
            critical += any(f.severity is Severity.CRITICAL for f in findings)
            count += len(findings)
            if draft.score is not None:
                scores.append(draft.score)
            risk = draft_risk(rt, seg.text, findings, draft.score, edited=False)
            risks.append(risk)
            outputs[seg.id].append(EngineOutput(name, restored.text, draft.score, tuple(findings), draft.error, risk))
        summaries.append(EngineSummary(name, info.model, info.version, translated,
                                       flagged, critical, count, sum(scores) / len(scores) if scores else None,
                                       seconds, mean_risk=sum(risks) / len(risks) if risks else None))
    return Comparison(lang.code, tuple(summaries), tuple(
        ComparedSegment(seg.id, seg.article, seg.text, tuple(outputs[seg.id])) for seg in picked))
