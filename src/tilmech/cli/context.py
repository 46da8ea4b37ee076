"""What every command shares: the project's runtime (loaded on first use), stderr, Prefect's defaults."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import click


class Context:
    """The root options; the runtime (settings, store, glossary) is loaded when a command first needs it."""

    def __init__(self, project: Path | None = None, user: str | None = None, verbose: bool = False,
                 quiet: bool = False) -> None:
        self.project = project
        self.user = user
        self.verbose = verbose
        self.quiet = quiet  # -q: no progress lines (say)
        self.note = ""  # said on stderr after a command that succeeded (single-user mode)
        self.server: str | None = None  # --server URL / $TILMECH_SERVER: act through that server's API
        self._runtime: Any = None
        self._backend: Any = None

    @property
    def runtime(self) -> Any:
        """The project's runtime, acting as the store's user (see :func:`identify`)."""
        if self._runtime is None:
            if self.server:  # a command without a remote meaning that pass_ctx did not see: never act here
                refuse_remote(click.get_current_context(silent=True))
            from ..runtime import load_runtime

            current = click.get_current_context(silent=True)
            words = current.command_path.split()[1:] if current is not None else []
            self._runtime = identify(self, load_runtime(self.project, self.user), words,
                                     current.params if current is not None else {})
        return self._runtime

    @property
    def project_dir(self) -> str:
        return str(self.runtime.settings.root)

    @property
    def backend(self) -> Any:
        """What the review, inbox, status and release commands act through (:mod:`.backend`): this
        project's store, or with ``--server`` the server's API as the user of ``$TILMECH_TOKEN``."""
        if self._backend is None:
            if self.server:
                from .remote import RemoteBackend  # httpx: only for the remote CLI

                self._backend = RemoteBackend(self.server, os.environ.get("TILMECH_TOKEN", ""))
            else:
                from .backend import LocalBackend

                self._backend = LocalBackend(self.runtime)
        return self._backend


_pass_state = click.make_pass_decorator(Context)

# The commands that also work remotely (``tilmech --server URL ...``): the others are refused there.
REMOTE_COMMANDS = frozenset({"status", "inbox", "review list", "review show", "review edit", "review approve",
                             "review send-back", "review comment", "release list", "release create",
                             "release approve", "release publish", "release rollback", "release discard",
                             "release diff"})
REMOTE_GROUPS = frozenset(command.split()[0] for command in REMOTE_COMMANDS)


def refuse_remote(current: click.Context | None) -> None:
    """The usage error of a command that has no remote meaning, given ``--server``."""
    from ..errors import UsageError

    path = " ".join(current.command_path.split()[1:]) if current is not None else ""
    command = f"`tilmech {path}`" if path else "this command"
    raise UsageError(f"{command} has no remote meaning: run it where the store is, without --server "
                     "(or $TILMECH_SERVER); remotely: status, inbox, review list/show/edit/approve/send-back/"
                     "comment, release list/create/approve/publish/rollback/discard/diff")


def pass_ctx(f: Any) -> Any:
    """Pass the :class:`Context` as the command's first argument; with ``--server``, a command that
    has no remote meaning is refused before it starts (a usage error, exit 2)."""

    @functools.wraps(f)
    def checked(obj: Context, /, *args: Any, **kwargs: Any) -> Any:  # positional: a --state option is "state"
        if obj.server:
            current = click.get_current_context()
            if " ".join(current.command_path.split()[1:3]) not in REMOTE_COMMANDS:
                refuse_remote(current)
        return f(obj, *args, **kwargs)

    return _pass_state(checked)

# The operator's commands: they run before a store exists, or act on the project's files and
# processes rather than on the store's content (shell access is admin-equivalent anyway).
OPERATOR_COMMANDS = frozenset({"db", "models", "serve", "server", "schedule", "deploy", "worker", "catalogs", "compare",
                               "import-html", "qa checks", "qa verify", "glossary verify", "glossary import"})
# Commands that only read: they act as the user too, but single-user mode needs no word on them.
READ_COMMANDS = frozenset({"status", "inbox", "review list", "review show", "release list", "release diff", "releases",
                           "verify", "qa report", "glossary check", "glossary stats", "glossary export",
                           "xliff export", "users list", "users tokens"})


def identify(state: Context, rt: Any, words: list[str], params: dict[str, Any]) -> Any:
    """``rt`` acting as the store's user named by ``--user``, ``$TILMECH_USER`` or the login name.

    Once the store has users, that name must be one of them and its role applies as in the
    workbench and the API (UsageError, exit 2, when there is no such user). A store without
    users is in single-user mode: the operator acts with every role (said once, on stderr, after
    a write that succeeded) until the first user is added. Adding the first admin is allowed to anyone while
    the store has no admin. The flows started here (translate, sync, qa recheck) run as the
    operator: the role is checked before they start.
    """
    from ..auth import Role, require_editor, require_review
    from ..errors import UsageError
    from ..runtime import os_login

    command = " ".join(words[:2])
    if not words or words[0] in OPERATOR_COMMANDS or command in OPERATOR_COMMANDS:
        return rt
    login = os_login()
    rt.surface = "cli" if not login or login == rt.user else f"cli (login {login})"
    from ..services import users_list

    people = users_list(rt) if _store_exists(rt) else []  # no store yet: none is made just to ask
    if not people:
        if command not in READ_COMMANDS and command != "users add":  # that one ends single-user mode
            state.note = (f"no users yet: acting as {rt.user} with every role (single-user mode); "
                          "create an admin with `tilmech users add NAME --role admin`")
        return rt
    found = next((u for u in people if u.name == rt.user), None)
    first_admin = command == "users add" and params.get("role") == Role.ADMIN.value \
        and not any(u.role is Role.ADMIN for u in people)
    if first_admin and (found is None or found.role is not Role.ADMIN):
        err(f"the store has no admin yet: adding the first one as {rt.user}")
        return rt
    if found is None:
        if command == "users list":  # how to find the right name
            return rt
        raise UsageError(f"no user {rt.user!r} in the store: act as one of `tilmech users list` with "
                         "--user NAME or TILMECH_USER=NAME (or add the user with `tilmech users add`)")
    rt.actor = found
    if command == "translate":
        for code in params.get("languages") or rt.settings.target_languages:
            require_review(found, rt.settings.resolve_languages([code])[0].code)
    elif command == "sync":
        require_editor(found, "start a sync of every language")
    elif command == "qa recheck":
        if params.get("lang"):
            require_review(found, rt.settings.resolve_languages([params["lang"]])[0].code)
        else:
            require_editor(found, "recheck every language (a translator gives --lang)")
    return rt


def _store_exists(rt: Any) -> bool:
    """Whether the project's store is there: a SQLite file not made yet has no users."""
    from sqlalchemy.engine import make_url

    url = make_url(rt.settings.store_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    path = Path(url.database)
    return (path if path.is_absolute() else rt.settings.root / path).exists()


def err(message: str) -> None:
    """A line for the person at the terminal (stderr), apart from the command's output."""
    click.echo(message, err=True)


def say(message: str) -> None:
    """A line of progress on stderr (what a slow command is doing or waiting for), TTY or not; none with -q."""
    current = click.get_current_context(silent=True)
    state = current.find_object(Context) if current is not None else None
    if state is None or not state.quiet:
        click.echo(message, err=True)


def short(text: str, width: int = 70) -> str:
    """``text`` on one line, cut to ``width`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def prepare_prefect(verbose: bool) -> None:
    """Quiet, offline-friendly Prefect defaults; the user's own settings win."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING" if verbose else "CRITICAL")
    # the temporary API server Prefect starts on its own can take a while on a small machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def save_output(path: Path, text: str) -> None:
    """Write a command's output file (``-o FILE``); a folder that is missing or is a file is a usage
    error naming the path, before anything is written."""
    from ..errors import UsageError

    folder = path.parent
    if not folder.exists():
        raise UsageError(f"{path}: cannot write it: the folder {folder} does not exist: make it first, "
                         "or give another path")
    if not folder.is_dir():
        raise UsageError(f"{path}: cannot write it: {folder} is a file, not a folder: give another path")
    path.write_text(text, encoding="utf-8")
