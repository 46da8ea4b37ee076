"""Who may do what, on which surface: the role × action matrix, as data (pure).

Each :class:`Action` names the rule that allows it (:class:`Rule`), the service functions that
do it and check that rule (with :mod:`tilmech.auth`'s ``require_review``, ``require_editor`` and
``require_admin``, one per rule: :data:`CHECK_OF`), and where people reach it: the local CLI, the remote CLI (``tilmech --server URL``), the JSON API, the
workbench's pages (their forms) and the workbench's XLIFF upload. One matrix for all of them:

* the services check the rule, whatever the surface (the CLI, the API and the pages only call them);
* ``tests/test_role_matrix.py`` walks every cell (each principal of :data:`PRINCIPALS`, each
  action, each surface) and checks that every state-changing service function and every
  state-changing route is one of :data:`ACTIONS` (or :data:`UNCHECKED`, with the reason);
* the role table of ``docs/review.md`` is :func:`markdown_table` (a test keeps them equal;
  ``python -m tilmech.permissions`` prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .auth import Role, User, require_admin, require_editor, require_review


class Rule(StrEnum):
    """What an action asks of the one who does it."""

    ANYONE = "anyone"  # no sign-in (signing in)
    SIGNED_IN = "signed in"  # any user of the store
    LANGUAGE = "reviews the language"  # a translator of that language, an editor, an admin
    EDITOR = "editor"  # an editor or an admin
    ADMIN = "admin"


class Surface(StrEnum):
    CLI = "CLI"  # tilmech --user NAME ... on the store's machine
    REMOTE = "remote CLI"  # tilmech --server URL with $TILMECH_TOKEN
    API = "API"  # the JSON API, with a token or a session
    PAGES = "pages"  # the workbench's forms
    XLIFF = "XLIFF upload"  # a translated XLIFF file uploaded in the workbench's editor


@dataclass(frozen=True)
class Principal:
    """Someone the matrix has a column for."""

    label: str
    role: Role | None  # None: not signed in, or a name that is no user of the store
    languages: tuple[str, ...] = ()

    def may(self, rule: Rule, lang: str | None = None) -> bool:
        """Whether the rule lets this principal act (on ``lang``, for :attr:`Rule.LANGUAGE`)."""
        if rule is Rule.ANYONE:
            return True
        if self.role is None:
            return False
        return permits(User(self.label, self.role, self.languages), rule, lang)


#: the matrix's columns: the example language is ky
PRINCIPALS = (
    Principal("anonymous", None),
    Principal("translator of ky", Role.TRANSLATOR, ("ky",)),
    Principal("translator of ru", Role.TRANSLATOR, ("ru",)),
    Principal("editor", Role.EDITOR),
    Principal("admin", Role.ADMIN),
)
EXAMPLE_LANGUAGE = "ky"


@dataclass(frozen=True)
class Action:
    """One thing people do, the rule it takes, the service functions that check it, and its surfaces."""

    name: str
    rule: Rule
    services: tuple[str, ...]  # tilmech.services functions that do it (and check the rule)
    cli: tuple[str, ...] = ()  # CLI commands (local; with --server too where `remote`)
    api: tuple[str, ...] = ()  # "METHOD /path" of the JSON API
    pages: tuple[str, ...] = ()  # "METHOD /path" of the workbench's forms
    xliff: bool = False  # done by uploading a translated XLIFF file in the editor
    remote: bool = False  # its (first) CLI command works with --server too (through the API)
    writes: bool = True  # False: a read, listed because the role matters

    @property
    def surfaces(self) -> tuple[Surface, ...]:
        found = {Surface.CLI: bool(self.cli), Surface.REMOTE: self.remote and bool(self.cli),
                 Surface.API: bool(self.api), Surface.PAGES: bool(self.pages), Surface.XLIFF: self.xliff}
        return tuple(surface for surface in Surface if found[surface])


_SEGMENT = "/api/segments/{segment_id}/{lang}"
_RELEASE = "/api/releases/{release_id}"
_EDITOR = "/edit/{article}/{lang}/{segment_id}"

ACTIONS: tuple[Action, ...] = (
    Action("read the queue, segments, releases", Rule.SIGNED_IN,
           ("review_list", "review_show", "progress_table", "release_list", "release_diff", "xliff_export"),
           cli=("review list", "review show", "release list", "release diff", "xliff export"),
           api=("GET /api/segments", "GET /api/segments/{segment_id}", "GET /api/releases",
                "GET /api/xliff/{article}/{lang}"),
           pages=("GET /", "GET /edit/{article}/{lang}", "GET /releases"), remote=True, writes=False),
    Action("edit a segment", Rule.LANGUAGE, ("review_edit",), cli=("review edit",), api=(f"PUT {_SEGMENT}",),
           pages=(f"POST {_EDITOR}",), xliff=True, remote=True),
    Action("approve a segment", Rule.LANGUAGE, ("review_approve", "approve_segments"), cli=("review approve",),
           api=(f"POST {_SEGMENT}/approve", "POST /api/segments/approve"), pages=(f"POST {_EDITOR}",),
           xliff=True, remote=True),
    Action("send a segment back", Rule.LANGUAGE, ("review_send_back",), cli=("review send-back",),
           api=(f"POST {_SEGMENT}/send-back", "POST /api/segments/send-back"), pages=(f"POST {_EDITOR}",),
           remote=True),
    Action("comment on a segment", Rule.LANGUAGE, ("add_comment",), cli=("review comment",),
           api=(f"POST {_SEGMENT}/comments",), pages=(f"POST {_EDITOR}/comments",), remote=True),
    Action("approve an article", Rule.LANGUAGE, ("approve_segments", "bulk_approve"), cli=("review approve --article",),
           api=("POST /api/articles/{article}/{lang}/approve",), remote=True),
    Action("import an XLIFF file", Rule.LANGUAGE, ("xliff_import",), cli=("xliff import",), api=("POST /api/xliff",),
           pages=("POST /edit/{article}/{lang}/xliff",)),
    Action("create a release", Rule.EDITOR, ("release_create",), cli=("release create",), api=("POST /api/releases",),
           pages=("POST /releases",), remote=True),
    Action("approve a release", Rule.EDITOR, ("release_approve",), cli=("release approve",),
           api=(f"POST {_RELEASE}/approve",), pages=("POST /releases/{release_id}/{action}",), remote=True),
    Action("publish a release", Rule.EDITOR, ("publish", "authorize_publish"), cli=("release publish", "publish"),
           api=(f"POST {_RELEASE}/publish",), pages=("POST /releases/{release_id}/{action}",), remote=True),
    Action("roll back the site", Rule.EDITOR, ("release_rollback",), cli=("release rollback", "rollback"),
           api=(f"POST {_RELEASE}/rollback",), pages=("POST /releases/{release_id}/{action}",), remote=True),
    Action("discard a release", Rule.EDITOR, ("release_discard",), cli=("release discard",),
           api=(f"DELETE {_RELEASE}",), pages=("POST /releases/{release_id}/{action}",), remote=True),
    Action("import translation memory (TMX)", Rule.EDITOR, ("tm_import",), cli=("tm import",)),
    Action("add or change a user", Rule.ADMIN, ("users_add",), cli=("users add",)),
    Action("remove a user", Rule.ADMIN, ("users_remove",), cli=("users remove",)),
    Action("create an API token", Rule.ADMIN, ("create_token",), cli=("users token",)),
    Action("revoke an API token", Rule.ADMIN, ("token_revoke",), cli=("users revoke-token",)),
    Action("list a user's API tokens", Rule.ADMIN, ("token_list",), cli=("users tokens",), writes=False),
)

#: Service functions that write to the store without a role check of their own, and why.
UNCHECKED: dict[str, str] = {
    "ingest": "the operator's work: `tilmech sync` and `translate` check the role before they start",
    "translate_language": "the operator's work: `tilmech translate` checks the role of each language first",
    "qa_recheck": "the operator's work: `tilmech qa recheck` checks the role of the language first",
    "import_page": "the operator's command `tilmech import-html` (shell access is admin-equivalent)",
    "release_content": "reads an approved release (publishing checks the editor before it reads)",
    "secret_key": "the workbench's own session key, made on its first start",
    "token_holder": "records when a token was last used, for the token's own user",
    "user_by_token": "records when a token was last used, for the token's own user",
    "inbox": "marks the user's own inbox as seen",
    "inbox_seen": "marks the user's own inbox as seen",
    "start_session": "signing in: the password is the check (an unknown name costs the same time)",
    "authenticate": "signing in: the password is the check (an unknown name costs the same time)",
    "end_sessions": "signing out: the user's own sessions",
}

#: State-changing routes that are none of :data:`ACTIONS`, and why.
UNCHECKED_ROUTES: dict[str, str] = {
    "POST /api/login": "signing in: the password is the check",
    "POST /login": "signing in: the password is the check",
    "POST /api/logout": "signing out: the user's own sessions",
    "POST /logout": "signing out: the user's own sessions",
    "POST /api/inbox/seen": "marks the user's own inbox as seen",
}


def action(name: str) -> Action:
    """The action of that name (KeyError names the known ones)."""
    for found in ACTIONS:
        if found.name == name:
            return found
    raise KeyError(f"no action {name!r}: one of {', '.join(a.name for a in ACTIONS)}")


def permits(user: User, rule: Rule, lang: str | None = None) -> bool:
    """Whether ``rule`` lets ``user`` act (on ``lang``, for :attr:`Rule.LANGUAGE`)."""
    if rule in (Rule.ANYONE, Rule.SIGNED_IN):
        return True
    if rule is Rule.LANGUAGE:
        return lang is None or user.may_review(lang)
    if rule is Rule.EDITOR:
        return user.may_approve_releases
    return user.role is Role.ADMIN


#: the check a service of each rule calls (tests/test_role_matrix.py reads the services for it)
CHECK_OF: dict[Rule, tuple[str, ...]] = {
    Rule.LANGUAGE: (require_review.__name__,),
    Rule.EDITOR: (require_editor.__name__, "authorize_publish"),
    Rule.ADMIN: (require_admin.__name__,),
}


def markdown_table(lang: str = EXAMPLE_LANGUAGE) -> str:
    """The role table of the docs: each action, who may do it (``lang`` as the example language), where."""
    head = ["action", *(p.label for p in PRINCIPALS), "surfaces"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for a in ACTIONS:
        cells = ["yes" if p.may(a.rule, lang) else "–" for p in PRINCIPALS]
        where = ", ".join(s.value for s in a.surfaces) or "–"
        lines.append(f"| {a.name} ({a.rule}) | " + " | ".join(cells) + f" | {where} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
