"""Published bundles carry nothing executable, and no name can lead a write or a read out of its folder."""

from __future__ import annotations

import json
import os
import re
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tilmech import services
from tilmech.errors import UsageError
from tilmech.publish import bundle_path, verify_release
from tilmech.runtime import load_runtime

HOSTILE = """---
title: "<script>alert('title')</script> Partners meet"
date: 2024-03-01
summary: "A summary with <img src=x onerror=alert(1)> inside."
---

Partners met in Bishkek. <script>alert('inline')</script> The meeting went well.

<script>
alert('block');
</script>

<div onclick="alert('div')" style="background:url(javascript:alert(1))">A block of HTML with a handler.</div>

Read [the report](javascript:alert('link')) or [this one](JAVASCRIPT:alert(2)) and
<a href="javascript:alert('raw')" onmouseover="alert(3)">the raw link</a>.

<img src="x.png" onerror="alert('img')"> <iframe src="https://evil.example/"></iframe>
<svg onload="alert('svg')"><circle r="1"/></svg> <object data="x.swf"></object>

![A picture](javascript:alert('image'))

<form action="https://evil.example/"><input name="q"></form>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>
<a href="vbscript:msgbox(1)">vb link</a> <a href="https://en.ichei.org/">A real link</a>.
"""


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PNG_2X1 = _png(2, 1)  # the hostile article's <img src="x.png">


def _vnu() -> list[str] | None:
    from test_site import _vnu as found

    return found()


class Executable(HTMLParser):
    """Collects whatever a browser could run: script elements, handlers, script URLs, frames, objects."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "frame", "svg", "form", "base", "meta") and not (
                tag == "meta" and all(k in ("charset", "name", "property", "content") for k, _ in attrs)):  # no http-equiv
            self.found.append(f"<{tag}>")
        for key, value in attrs:
            text = (value or "").strip().lower().replace("\t", "").replace("\n", "")
            if key.startswith("on") or (key == "style" and "javascript" in text):
                self.found.append(f"<{tag} {key}>")
            if key in ("href", "src", "action", "formaction", "data") and text.startswith(
                    ("javascript:", "vbscript:", "data:")):
                self.found.append(f"<{tag} {key}={value}>")


def executable(html: str) -> list[str]:
    parser = Executable()
    parser.feed(html)
    return parser.found


def test_a_hostile_article_publishes_nothing_executable(pseudo_project: Path, tmp_path: Path) -> None:
    (pseudo_project / "content" / "en" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    (pseudo_project / "content" / "en" / "x.png").write_bytes(PNG_2X1)
    rt = load_runtime(pseudo_project)
    services.ingest(rt)
    for code in ("ru", "ky", "zh"):
        services.translate_language(rt, code, ["hostile"])
        for item in services.review_list(rt, code, article="hostile"):
            if any(f.severity == "critical" for f in item.findings):  # e.g. a literal link the engine mangled:
                services.review_edit(rt, item.segment_id, code, item.source)  # the translator keeps it as written
        functional = {f.code for item in services.review_list(rt, code, article="hostile") for f in item.findings}
        services.review_approve(rt, code, article="hostile", acknowledge=sorted(functional))
    release = services.release_create(rt)
    assert all("hostile" in release.locales[code] for code in ("en", "ru", "ky", "zh"))
    services.release_approve(rt, release.id)
    report = services.publish(rt, release.id, tmp_path / "site")
    folder = report.path
    pages = sorted(folder.glob("*/*.html"))
    assert len([p for p in pages if p.name == "hostile.html"]) == 4
    for page in pages:
        assert executable(page.read_text(encoding="utf-8")) == [], page
    english = (folder / "en" / "hostile.html").read_text(encoding="utf-8")
    assert "A real link" in english and 'href="https://en.ichei.org/"' in english
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; Partners meet" in english  # the title, escaped
    assert "A block of HTML with a handler." in english  # the text stays, the handler goes
    for feed in folder.glob("*/feed.json"):
        for item in json.loads(feed.read_text(encoding="utf-8"))["items"]:
            assert executable(item["content_html"]) == [], feed
    # what the sanitizer keeps is valid: an image has an alt (empty when none was written) and a src
    # (the file, copied into the release), a link whose href was removed leaves its text only
    hostile = [folder / code / "hostile.html" for code in ("en", "ru", "ky", "zh")]
    for page in hostile:
        text = page.read_text(encoding="utf-8")
        images = re.findall(r"<img[^>]*>", text.split("<article", 1)[1])
        assert images == ['<img src="../assets/ba9703f20af4932d.png" alt="" width="2" height="1">'], page
        assert "<a>" not in text and "the raw link" in text and ">the raw link</a>" not in text, page
    assert (folder / "assets" / "ba9703f20af4932d.png").read_bytes() == PNG_2X1
    vnu = _vnu()
    if vnu is not None:  # the Nu Html Checker (VNU_JAR; scripts/test installs it)
        result = subprocess.run([*vnu, "--errors-only", "--format", "json", *map(str, hostile)],
                                capture_output=True, text=True, timeout=300)
        assert json.loads(result.stderr or result.stdout)["messages"] == []
    rt.close()


@pytest.mark.parametrize("rel", ["../x", "a/../../x", "/etc/passwd", "\\\\server\\share", "C:/x", "", "a//b", "./a"])
def test_bundle_paths_stay_inside_the_release_folder(rel: str) -> None:
    with pytest.raises(UsageError):
        bundle_path(rel)
    assert bundle_path("ru/smart-classroom.html") == "ru/smart-classroom.html"


def test_a_manifest_naming_files_outside_its_release_is_reported_not_read(tmp_path: Path) -> None:
    from tilmech.publish import write_release

    secret = tmp_path / "secret.txt"
    secret.write_text("secret", encoding="utf-8")
    manifest = {"files": [{"path": "../../../secret.txt", "sha256": "0", "size": 6}]}
    site = tmp_path / "site"
    write_release(site, 1, {"en": {"manifest.json": json.dumps(manifest).encode()}})
    problems = verify_release(site, 1)
    assert len(problems) == 1 and problems[0].startswith("en/manifest.json: not a valid manifest")
    with pytest.raises(UsageError):
        write_release(site, 2, {"en": {"../../escape.html": b"x"}})
    assert not (tmp_path / "escape.html").exists() and not (site / "escape.html").exists()


def test_an_article_that_is_a_link_out_of_the_content_folder_is_refused(pseudo_project: Path, tmp_path: Path,
                                                                       tilmech) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Outside\ndate: 2024-01-01\n---\n\nNot part of the project.\n", encoding="utf-8")
    os.symlink(outside, pseudo_project / "content" / "en" / "linked.md")
    result = tilmech("--project", pseudo_project, "translate", "--lang", "ru")
    assert result.code == 2
    assert result.err.strip() == (f"error: content/en/linked.md: a link to {outside.resolve()}, outside en/: "
                                  "put the article itself in the folder")
    assert not (pseudo_project / "tilmech.db").exists() or "linked" not in (pseudo_project / "tilmech.db").read_bytes().decode(
        "utf-8", "replace")


@pytest.mark.parametrize("slug", ["../evil", "/tmp/evil", "a/b", "Evil", "evil.md", ""])
def test_import_html_refuses_a_slug_that_is_not_a_plain_name(pseudo_project: Path, slug: str,
                                                             tilmech) -> None:  # type: ignore[no-untyped-def]
    page = Path(__file__).resolve().parents[1] / "data" / "import" / "smart-classroom-page.html"
    before = sorted(p.relative_to(pseudo_project) for p in pseudo_project.rglob("*"))
    result = tilmech("--project", pseudo_project, "import-html", page, "--slug", slug)
    assert result.code == 2 and result.err.startswith("error: bad --slug") and "Traceback" not in result.err
    assert sorted(p.relative_to(pseudo_project) for p in pseudo_project.rglob("*")) == before


def test_workbench_paths_do_not_lead_out_of_their_folders(pseudo_project: Path) -> None:
    from fastapi.testclient import TestClient

    from tilmech.web import create_app
    from web_support import PASSWORD, workbench_runtime

    rt = workbench_runtime(pseudo_project)
    client = TestClient(create_app(rt))
    client.post("/api/login", json={"name": "elena", "password": PASSWORD})
    for url in ("/static/../../tilmech.yaml", "/static/%2e%2e/%2e%2e/tilmech.yaml", "/static/..%2f__init__.py",
                "/api/xliff/..%2f..%2ftilmech/ru", "/edit/..%2f..%2fetc/ru"):
        response = client.get(url)
        assert response.status_code in (404, 400, 422), url
        assert "target_languages" not in response.text and "from __future__" not in response.text, url
    rt.close()
