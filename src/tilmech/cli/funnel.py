"""The command line's one error funnel: every exception ends as one line on stderr and an exit code.

Exit codes: 0 ok, 1 the work failed, 2 usage or configuration, 3 environment not ready
(a model, the database): try again after fixing it. ``-v`` also prints the traceback.
"""

from __future__ import annotations

import errno
import sys
import traceback

import click

from ..errors import TilmechError

OK, FAILED, USAGE, ENVIRONMENT, INTERRUPTED = 0, 1, 2, 3, 130

# OS errors about a path the user named (a file to read or write, a folder): usage, exit 2
_PATH_ERRNOS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EEXIST,
                          errno.ENAMETOOLONG, errno.EROFS})


def one_line(text: str) -> str:
    """``text`` with its lines joined: a message of the funnel is one line."""
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _database_error(exc: BaseException, hint: str) -> str | None:
    """The one line of a database error the store did not map itself; None if ``exc`` is not one.

    Checked through ``sys.modules``: a command that never opened the store did not import SQLAlchemy.
    """
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(exc, sqlalchemy_exc.SQLAlchemyError):
        return None
    detail = one_line(str(getattr(exc, "orig", None) or exc))
    return (f"error: the store failed: {detail}: check `store` in tilmech.yaml and that the database is "
            f"reachable, then try again{hint}")


def render(exc: BaseException, verbose: bool = False) -> tuple[str | None, int]:
    """(the line to print, or None when click prints it itself; the exit code) for ``exc``."""
    hint = "" if verbose else " (run with -v for the traceback)"
    if isinstance(exc, click.exceptions.Abort):
        return "aborted", FAILED
    if isinstance(exc, click.ClickException):
        return None, exc.exit_code
    if isinstance(exc, TilmechError):
        return f"error: {exc}", exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", INTERRUPTED
    database = _database_error(exc, hint)
    if database is not None:
        return database, ENVIRONMENT
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        if exc.filename2:
            where = f"{exc.filename} → {exc.filename2}: "
        what = exc.strerror or one_line(str(exc)) or _type_name(exc)
        return f"error: {where}{what}", USAGE if exc.filename and exc.errno in _PATH_ERRNOS else FAILED
    message = one_line(str(exc))
    return f"error: internal error: {_type_name(exc)}{': ' + message if message else ''}{hint}", FAILED


def report(exc: BaseException, verbose: bool) -> int:
    """Print ``exc`` as one line on stderr (after its traceback when ``verbose``); return the exit code."""
    line, code = render(exc, verbose)
    if verbose and not isinstance(exc, (click.ClickException, click.exceptions.Abort, KeyboardInterrupt)):
        traceback.print_exception(exc, file=sys.stderr)
    if line is None:
        assert isinstance(exc, click.ClickException)
        exc.show()
    else:
        click.echo(line, err=True)
    return code
