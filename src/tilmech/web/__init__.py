"""The review workbench: server-rendered pages and a JSON API over the same services.

``create_app(runtime)`` (:mod:`.app`) assembles the parts:

* :mod:`.pages`: the pages people use (sign-in, dashboard, segment editor, releases);
* :mod:`.api`: the JSON API under ``/api/``, described at ``/openapi.json``;
* :mod:`.security`: sessions, CSRF, bearer tokens, the sign-in rate limit, security headers;
* :mod:`.errors`: the one error funnel (the JSON error shape on the API, the error page elsewhere);
* :mod:`.data`: service results as JSON data, uploads as text; :mod:`.state`: what routes read from the app.

Pages and ``/api/`` call :mod:`tilmech.services` with a runtime acting as the signed-in
user, so roles are enforced in one place. Everything but the sign-in page and the static
files needs a signed-in user.
"""

from __future__ import annotations

from .app import app_from_environment, create_app

__all__ = ["app_from_environment", "create_app"]
