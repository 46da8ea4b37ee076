"""The one exception tree of Tilmech.

Every error a user can cause or fix is a :class:`TilmechError`. Its message says
where the problem is and what to do; ``exit_code`` is what the CLI exits with and
``http_status`` what a web surface answers. Errors are rendered in exactly one
place per surface (``cli.main`` for the command line).

Exit codes: 0 ok, 1 the work failed, 2 usage or configuration, 3 environment not
ready (a model, the database): try again after fixing it.
"""

from __future__ import annotations


class TilmechError(Exception):
    """Base class: a problem the user can understand and act on."""

    exit_code = 1
    http_status = 500


class UsageError(TilmechError):
    """The request itself is wrong: unknown language, bad option, unknown id."""

    exit_code = 2
    http_status = 400


class ContentTooLarge(UsageError):
    """A request body over the workbench's limit (``limits.request_bytes``, ``limits.upload_bytes``)."""

    http_status = 413


class PreconditionRequired(UsageError):
    """A write without the version it was based on (a missing ``version``): send the version read, so that
    a newer text is never overwritten unseen."""

    http_status = 428


class NotFound(UsageError):
    """Something named by the user does not exist (a release, a segment, an article)."""

    http_status = 404


class ConfigError(UsageError):
    """A project file (tilmech.yaml, a glossary, an article) is malformed."""

    http_status = 422


class InputError(ConfigError):
    """Bad content in an input file, reported as ``file:line: what: problem``."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.detail = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class Problems(ConfigError):
    """Every problem found in a file or folder, reported at once: ``SOURCE: N problems``, then one line each."""

    def __init__(self, source: str, lines: list[str] | tuple[str, ...], detail: str = "") -> None:
        self.source = source
        self.lines = tuple(lines)
        super().__init__(f"{source}: {len(self.lines)} problems{detail}\n" + "\n".join(self.lines))


class EnvironmentNotReady(TilmechError):
    """A model, a database or another part of the environment is missing."""

    exit_code = 3
    http_status = 503


class ModelMissing(EnvironmentNotReady):
    """No installed translation model for a language pair."""


class StoreUnavailable(EnvironmentNotReady):
    """The store is busy (another writer holds its lock past ``store_timeout``) or cannot be reached."""


class WorkflowError(TilmechError):
    """The action is not allowed in the current state (approve with critical QA, publish unapproved)."""

    exit_code = 1
    http_status = 409


class Unauthorized(TilmechError):
    """Not signed in, or a wrong name, password or token."""

    exit_code = 1
    http_status = 401


class Forbidden(TilmechError):
    """Signed in, but the user's role does not allow this."""

    exit_code = 1
    http_status = 403


class TooManyRequests(TilmechError):
    """Too many attempts (failed sign-ins) in a short time: wait, then try again."""

    exit_code = 1
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(WorkflowError):
    """Someone else changed the segment since it was loaded: nothing is overwritten."""

    http_status = 409

    def __init__(self, message: str, current_text: str, current_version: int) -> None:
        super().__init__(message)
        self.current_text = current_text
        self.current_version = current_version


class FindingsNotAcknowledged(WorkflowError):
    """An approval of a text with open functional QA findings that were not acknowledged: nothing changed.
    ``findings``: ``{"code", "message", "severity"}`` of each; approve again acknowledging their codes."""

    http_status = 409

    def __init__(self, message: str, findings: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.findings = findings


class TranslationFailed(TilmechError):
    """One or more languages failed during a translate run."""

    def __init__(self, failures: dict[str, TilmechError]) -> None:
        self.failures = failures
        lines = [f"{lang}: {err}" for lang, err in sorted(failures.items())]
        super().__init__("translation failed for " + ", ".join(sorted(failures)) + "\n" + "\n".join(lines))
        codes = {err.exit_code for err in failures.values()}
        self.exit_code = max(codes) if codes else 1
