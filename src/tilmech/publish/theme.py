"""The look of the published site: the built-in templates and static files, and a project's own.

A project's ``theme/`` folder (``paths.theme``) may hold ``templates/`` and ``static/``. A template
there replaces the built-in one of the same name; the built-in ones stay reachable as
``default/<name>``, so a theme can extend one and fill only some of its blocks
(``{% extends "default/article.html" %}``). A file in ``static/`` replaces or adds to the built-in
static files (``site.css``, ``favicon.svg``), which a release ships in ``static/`` at its root.
Interface strings stay gettext messages (``{% trans %}``), translated from the locale's catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from babel.support import NullTranslations
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    PrefixLoader,
    StrictUndefined,
    select_autoescape,
)

from ..errors import ConfigError

STATIC = "static"  # the folder of the static files at a release's root


@dataclass(frozen=True)
class Theme:
    """The project's theme folder (None, or a folder without templates/ or static/: the built-in look)."""

    folder: Path | None = None

    @property
    def templates(self) -> Path | None:
        found = self.folder / "templates" if self.folder else None
        return found if found is not None and found.is_dir() else None

    def environment(self, translations: NullTranslations) -> Environment:
        package = PackageLoader("tilmech.publish", "templates")
        loaders: list[BaseLoader] = [PrefixLoader({"default": package})]
        if self.templates is not None:
            loaders.append(FileSystemLoader(self.templates))
        loaders.append(package)
        env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]),
                          extensions=["jinja2.ext.i18n"], undefined=StrictUndefined, keep_trailing_newline=True)
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        return env

    def static_files(self) -> dict[str, bytes]:
        """The static files by path inside ``static/``: the built-in ones, then the theme's over them."""
        files = {entry.name: entry.read_bytes() for entry in (resources.files("tilmech.publish") / STATIC).iterdir()
                 if entry.is_file() and not entry.name.startswith(".")}
        own = self.folder / STATIC if self.folder else None
        if own is not None and own.is_dir():
            for path in sorted(own.rglob("*")):
                if path.is_file() and not any(part.startswith(".") for part in path.relative_to(own).parts):
                    if path.is_symlink() and not path.resolve().is_relative_to(own.resolve()):
                        raise ConfigError(f"{path}: a link out of the theme folder: put the file itself there")
                    files[path.relative_to(own).as_posix()] = path.read_bytes()
        return files


def load_theme(folder: Path | None) -> Theme:
    """The theme of a project (``paths.theme``); a folder that does not exist is the built-in look."""
    if folder is not None and folder.exists() and not folder.is_dir():
        raise ConfigError(f"{folder}: paths.theme is a file: it names a folder holding templates/ and static/")
    return Theme(folder if folder is not None and folder.is_dir() else None)
