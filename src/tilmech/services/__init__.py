"""Use cases, called alike by the CLI, the web workbench and the flows.

Every function takes the :class:`~tilmech.runtime.Runtime` and plain values, and
returns plain values (frozen dataclasses). Multi-row changes are one transaction.
One module per use case; each imports only the modules below it:

    documents < ingestion, memory, quality < translate < compare
    quality < review < glossary, xliff, releases < publishing; users, maintenance
"""

from __future__ import annotations

from ..store.queries import ReviewItem, source_diff
from .compare import ComparedSegment, Comparison, EngineOutput, EngineSummary, compare_engines
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
    TermFinding,
    TermViolation,
    glossary_check,
    glossary_export,
    glossary_import,
    glossary_stats,
    verify_terms,
)
from .ingestion import FILES_PER_CHECK, IngestReport, import_page, ingest
from .maintenance import catalogs_update, db_backup, db_check, stats
from .memory import memory_key
from .publishing import publish, publish_location
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
    LocalePreview,
    ReleaseContent,
    ReleaseInfo,
    release_approve,
    release_content,
    release_create,
    release_info,
    release_list,
    release_preview,
)
from .review import (
    ORDERS,
    BulkApproval,
    Comment,
    HistoryEntry,
    Progress,
    SegmentTerm,
    SegmentView,
    add_comment,
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
    authenticate,
    create_token,
    get_user,
    secret_key,
    user_by_token,
    users_add,
    users_list,
)
from .xliff import ImportOutcome, xliff_export, xliff_import

__all__ = ["CHUNK_ARTICLES", "FILES_PER_CHECK", "ORDERS", "ArticleCounts", "BulkApproval", "Comment", "ComparedSegment", "Comparison", "EngineOutput", "EngineSummary", "GlossaryStats", "HistoryEntry", "ImportOutcome", "ImportReport", "IngestReport", "LocalePreview", "Progress", "QAReport", "RecheckReport", "ReleaseContent", "ReleaseInfo", "ReviewItem", "SegmentTerm", "SegmentView", "TermFinding", "TermViolation", "TranslateReport", "add_comment", "approve_translation", "authenticate", "bulk_approve", "catalogs_update", "check_documents", "check_draft", "compare_engines", "count_documents", "create_token", "db_backup", "db_check", "draft_risk", "edit_translation", "get_user", "glossary_check", "glossary_export", "glossary_import", "glossary_stats", "import_page", "ingest", "iter_articles", "iter_documents", "load_documents", "memory_key", "merge_reports", "mt_contexts", "pending_work", "progress_table", "publish", "publish_location", "qa_recheck", "qa_report", "qa_verify", "record_change", "release_approve", "release_content", "release_create", "release_info", "release_list", "release_preview", "review_approve", "review_edit", "review_list", "review_send_back", "review_show", "review_views", "same_files", "secret_key", "segment_documents", "segment_terms", "segmented", "settled_reports", "source_diff", "stats", "stored_cuts", "translate_language", "unchanged_articles", "user_by_token", "users_add", "users_list", "verify_terms", "xliff_export", "xliff_import"]
