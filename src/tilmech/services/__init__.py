"""Use cases, called alike by the CLI, the web workbench and the flows.

Every function takes the :class:`~tilmech.runtime.Runtime` and plain values, and
returns plain values (frozen dataclasses). Multi-row changes are one transaction.
One module per use case; each imports only the modules below it:

    documents < ingestion, memory, quality < translate < compare
    quality < review < glossary, xliff, tm, tmx, releases < publishing; users, maintenance


Names are imported on first use (PEP 562): ``from tilmech import services`` costs nothing, and a
command that uses ``services.review_list`` loads the review module alone, not QA families,
Markdown parsers, morphology or the engines of the others. Add a name to the ``TYPE_CHECKING``
block below (it is the one list, read by :func:`__getattr__`) and to ``__all__``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.queries import ReviewItem, source_diff
    from .acknowledge import Acknowledgement, acknowledgements
    from .compare import ComparedSegment, Comparison, EngineOutput, EngineSummary, compare_engines
    from .desk import DeskRow, Preview, article_preview, desk_rows
    from .documents import (
        CHUNK_ARTICLES,
        check_documents,
        count_documents,
        iter_articles,
        iter_documents,
        load_documents,
        same_files,
        segment_documents,
        segmented,
        stored_cuts,
        unchanged_articles,
    )
    from .glossary import (
        GlossaryStats,
        ImportReport,
        SuggestReport,
        TermFinding,
        TermViolation,
        glossary_check,
        glossary_export,
        glossary_import,
        glossary_stats,
        glossary_suggest,
        verify_terms,
    )
    from .inbox import (  # inbox(): from .inbox (its module has its name)
        InboxItem,
        inbox_seen,
        inbox_unseen,
    )
    from .ingestion import FILES_PER_CHECK, IngestReport, import_page, ingest
    from .maintenance import catalogs_update, db_backup, db_check, stats
    from .memory import memory_key
    from .planning import TranslationPlan, check_engines, plan_translation
    from .publishing import (
        authorize_publish,
        publish,
        publish_location,
        published_releases,
        release_diff,
        release_rollback,
        served_release,
    )
    from .quality import (
        QAReport,
        RecheckReport,
        check_draft,
        draft_risk,
        qa_recheck,
        qa_report,
        qa_verify,
    )
    from .releases import (
        ArticleChange,
        LocaleDiff,
        LocalePreview,
        ReleaseContent,
        ReleaseDiff,
        ReleaseInfo,
        compare_releases,
        has_release,
        release_approve,
        release_content,
        release_create,
        release_discard,
        release_info,
        release_list,
        release_preview,
    )
    from .review import (
        ORDERS,
        Approval,
        BulkApproval,
        Comment,
        HistoryEntry,
        Progress,
        SegmentTerm,
        SegmentView,
        add_comment,
        approve_segments,
        approve_translation,
        bulk_approve,
        edit_translation,
        progress_table,
        record_change,
        review_approve,
        review_edit,
        review_list,
        review_send_back,
        review_show,
        review_views,
        segment_terms,
    )
    from .tm import Concordance, DiffPart, Suggestion, identical_count, suggestions, tm_search
    from .tmx import TmxImport, read_tmx, tm_export, tm_import, write_tmx
    from .translate import (
        ArticleCounts,
        TranslateReport,
        merge_reports,
        mt_contexts,
        pending_work,
        settled_reports,
        translate_language,
    )
    from .users import (
        TokenInfo,
        authenticate,
        create_token,
        end_sessions,
        get_user,
        secret_key,
        session_user,
        start_session,
        token_holder,
        token_list,
        token_revoke,
        user_by_token,
        users_add,
        users_list,
        users_remove,
    )
    from .xliff import ImportOutcome, xliff_export, xliff_import


_SOURCES: dict[str, str] = {}  # exported name -> the module that defines it, read from the block above


def _sources() -> dict[str, str]:
    if not _SOURCES:
        tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level:
                module = "." * node.level + node.module
                _SOURCES.update({alias.asname or alias.name: module for alias in node.names})
    return _SOURCES


def __getattr__(name: str) -> Any:
    module = _sources().get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_sources()))


__all__ = ["CHUNK_ARTICLES", "FILES_PER_CHECK", "ORDERS", "Acknowledgement", "Approval", "ArticleChange", "ArticleCounts", "BulkApproval", "Comment", "ComparedSegment", "Comparison", "Concordance", "DeskRow", "DiffPart", "EngineOutput", "EngineSummary", "GlossaryStats", "HistoryEntry", "ImportOutcome", "ImportReport", "InboxItem", "IngestReport", "LocaleDiff", "LocalePreview", "Preview", "Progress", "QAReport", "RecheckReport", "ReleaseContent", "ReleaseDiff", "ReleaseInfo", "ReviewItem", "SegmentTerm", "SegmentView", "SuggestReport", "Suggestion", "TermFinding", "TermViolation", "TmxImport", "TokenInfo", "TranslateReport", "TranslationPlan", "acknowledgements", "add_comment", "approve_segments", "approve_translation", "article_preview", "authenticate", "authorize_publish", "bulk_approve", "catalogs_update", "check_documents", "check_draft", "check_engines", "compare_engines", "compare_releases", "count_documents", "create_token", "db_backup", "db_check", "desk_rows", "draft_risk", "edit_translation", "end_sessions", "get_user", "glossary_check", "glossary_export", "glossary_import", "glossary_stats", "glossary_suggest", "has_release", "identical_count", "import_page", "inbox_seen", "inbox_unseen", "ingest", "iter_articles", "iter_documents", "load_documents", "memory_key", "merge_reports", "mt_contexts", "pending_work", "plan_translation", "progress_table", "publish", "publish_location", "published_releases", "qa_recheck", "qa_report", "qa_verify", "read_tmx", "record_change", "release_approve", "release_content", "release_create", "release_diff", "release_discard", "release_info", "release_list", "release_preview", "release_rollback", "review_approve", "review_edit", "review_list", "review_send_back", "review_show", "review_views", "same_files", "secret_key", "segment_documents", "segment_terms", "segmented", "served_release", "session_user", "settled_reports", "source_diff", "start_session", "stats", "stored_cuts", "suggestions", "tm_export", "tm_import", "tm_search", "token_holder", "token_list", "token_revoke", "translate_language", "unchanged_articles", "user_by_token", "users_add", "users_list", "users_remove", "verify_terms", "write_tmx", "xliff_export", "xliff_import"]
