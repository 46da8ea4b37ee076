"""Publishing: only approved text ships, atomically, reproducibly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import drafted
from tilmech import services
from tilmech.errors import WorkflowError
from tilmech.runtime import Runtime

SEED = "smart-classroom-kyrgyzstan"


@pytest.fixture
def rt(pseudo_project: Path) -> Runtime:
    return drafted(pseudo_project)


def _approve_all(rt: Runtime, code: str) -> None:
    for slug in ("smart-classroom-kyrgyzstan", "partners-showcase"):
        approve_article(rt, code, slug)


def approve_article(rt: Runtime, code: str, slug: str) -> None:
    """Approve an article's drafts, acknowledging the functional findings the pseudo engine's text gets
    (a number written the pseudo way): what ships is the subject here, not QA."""
    codes = {f.code for item in services.review_list(rt, code, article=slug) for f in item.findings
             if f.severity == "functional"}
    services.review_approve(rt, code, article=slug, acknowledge=sorted(codes))


def _verify(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]


def test_only_complete_approved_articles_ship(rt: Runtime, tmp_path: Path) -> None:
    _approve_all(rt, "ru")
    approve_article(rt, "ky", SEED)  # ky: only one of two articles complete
    info = services.release_create(rt)
    assert info.locales["ru"] == ("partners-showcase", SEED)
    assert info.locales["ky"] == (SEED,) and info.incomplete["ky"] == ("partners-showcase",)
    assert "zh" not in info.locales and info.incomplete["zh"] == ("partners-showcase", SEED)
    with pytest.raises(WorkflowError, match="not approved"):
        services.publish(rt, info.id, tmp_path / "out")
    services.release_approve(rt, info.id)

    # an edit after the release does not change what the release ships
    item = services.review_list(rt, "ru", article=SEED)[0]
    services.review_edit(rt, item.segment_id, "ru", "Изменено после релиза")
    report = services.publish(rt, info.id, tmp_path / "out")
    ru = (report.path / "ru" / f"{SEED}.md").read_text(encoding="utf-8")
    assert "Изменено после релиза" not in ru and item.text.splitlines()[0] in ru
    assert not (report.path / "zh" / f"{SEED}.html").exists()
    assert "The site is currently under configuration" not in (report.path / "ru" / "index.html").read_text()
    zh_index = (report.path / "zh" / "index.html").read_text(encoding="utf-8")
    assert "网站正在配置中" in zh_index and "即将开放" in zh_index  # the seed's placeholder lines, translated
    for locale in ("en", "ru", "ky", "zh"):
        _verify(report.path / locale)


def test_an_interrupted_publish_leaves_the_previous_release_served(rt: Runtime, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _approve_all(rt, "ru")
    first = services.release_create(rt)
    services.release_approve(rt, first.id)
    out = tmp_path / "out"
    services.publish(rt, first.id, out)
    before = {p.relative_to(out): p.read_bytes() for p in (out / "current").rglob("*") if p.is_file()}

    _approve_all(rt, "zh")
    second = services.release_create(rt)
    services.release_approve(rt, second.id)
    written = []
    original = Path.write_bytes

    def failing_write(self: Path, data: bytes) -> int:  # the disk fills up half-way
        if len(written) == 7:
            raise OSError(28, "No space left on device")
        written.append(self)
        return original(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write)
    with pytest.raises(OSError):
        services.publish(rt, second.id, out)
    monkeypatch.undo()

    assert (out / "current").resolve() == (out / "releases" / str(first.id)).resolve()
    after = {p.relative_to(out): p.read_bytes() for p in (out / "current").rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in (out / "releases").iterdir()) == [str(first.id)]  # no half-written release

    report = services.publish(rt, second.id, out)  # and the next try succeeds
    assert (out / "current").resolve() == report.path.resolve()
    assert (report.path / "zh" / f"{SEED}.html").exists()


def test_releases_rollback_and_verify(rt: Runtime, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "site"
    _approve_all(rt, "ru")
    for _ in range(2):
        release = services.release_create(rt)
        services.release_approve(rt, release.id)
        services.publish(rt, release.id, out)
    project = rt.settings.root
    listed = tilmech("--project", project, "releases", "--to", out)
    assert [line.split("\t")[0] for line in listed.out.splitlines()] == ["  1", "* 2"]
    assert listed.out.splitlines()[1].split("\t")[1] == "en ky ru zh"

    assert tilmech("--project", project, "rollback", "--to", out).out.strip() == "current release: 1"
    assert (out / "current").resolve() == (out / "releases" / "1").resolve()
    assert tilmech("--project", project, "rollback", "2", "--to", out).code == 0
    ok = tilmech("--project", project, "verify", "1", "--to", out)
    assert (ok.code, ok.out.strip()) == (0, "release 1: every file matches its manifest")

    page = out / "releases" / "1" / "ru" / f"{SEED}.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</h1>", "!</h1>"), encoding="utf-8")
    (out / "releases" / "1" / "ru" / "extra.html").write_text("x", encoding="utf-8")
    bad = tilmech("--project", project, "verify", "1", "--to", out)
    assert bad.code == 1
    assert bad.out.splitlines() == [f"ru/{SEED}.html: differs from the manifest", "ru/extra.html: not in the manifest"]
    refused = tilmech("--project", project, "rollback", "1", "--to", out)
    assert refused.code == 1 and "does not verify" in refused.err
    assert (out / "current").resolve() == (out / "releases" / "2").resolve()
    assert tilmech("--project", project, "verify", "9", "--to", out).code == 2


def test_feed_and_manifest_describe_each_locale(rt: Runtime, tmp_path: Path) -> None:
    _approve_all(rt, "ru")
    approve_article(rt, "ky", SEED)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    report = services.publish(rt, release.id, tmp_path / "out")
    ru_feed = json.loads((report.path / "ru" / "feed.json").read_text(encoding="utf-8"))
    assert ru_feed["version"] == "https://jsonfeed.org/version/1.1" and ru_feed["language"] == "ru"
    assert ru_feed["title"] == "Новости UNESCO-ICHEI"
    assert [i["id"] for i in ru_feed["items"]] == ["partners-showcase", SEED]  # newest first
    assert ru_feed["items"][1]["date_published"] == "2023-06-06T00:00:00Z"
    assert "<p>" in ru_feed["items"][1]["content_html"]
    ky = json.loads((report.path / "ky" / "manifest.json").read_text(encoding="utf-8"))
    assert ky["held_back"] == ["partners-showcase"] and ky["counts"]["articles"] == 1
    en = json.loads((report.path / "en" / "manifest.json").read_text(encoding="utf-8"))
    assert en["held_back"] == [] and en["source_revision"] == ky["source_revision"] != ""
    assert json.loads((report.path / "build-info.json").read_text())["release"] == release.id


KILLER = """
import os, sys, time
from pathlib import Path
from tilmech import services
from tilmech.runtime import load_runtime

written = []
original = Path.write_bytes

def write_bytes(self, data):
    if len(written) == 6:
        Path(sys.argv[2]).write_text("half-way")
        time.sleep(600)
    written.append(self)
    return original(self, data)

Path.write_bytes = write_bytes
services.publish(load_runtime(sys.argv[1]), int(sys.argv[3]), Path(sys.argv[4]))
"""


def test_a_publish_killed_midway_leaves_the_previous_release(rt: Runtime, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    _approve_all(rt, "ru")
    out = tmp_path / "out"
    first = services.release_create(rt)
    services.release_approve(rt, first.id)
    services.publish(rt, first.id, out)
    _approve_all(rt, "zh")
    second = services.release_create(rt)
    services.release_approve(rt, second.id)
    marker = tmp_path / "half-way"
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(rt.settings.root), str(marker), str(second.id),
                             str(out)])
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert marker.exists(), "the publish did not get half-way"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    from tilmech.publish import current_release, verify_release

    assert current_release(out) == first.id and verify_release(out, first.id) == []
    assert not (out / "releases" / str(second.id)).exists()
    assert list((out / "releases").glob(".*.staging-*"))  # the half-written staging folder, never served
    services.publish(rt, second.id, out)
    assert current_release(out) == second.id and verify_release(out, second.id) == []
    assert not list((out / "releases").glob(".*.staging-*"))


def test_an_fsspec_target_publishes_lists_verifies_and_rolls_back(rt: Runtime, tilmech) -> None:  # type: ignore[no-untyped-def]
    import fsspec

    url = "memory://tilmech-test-site"
    fs = fsspec.filesystem("memory")
    _approve_all(rt, "ru")
    first = services.release_create(rt)
    services.release_approve(rt, first.id)
    assert tilmech("--project", rt.settings.root, "publish", str(first.id), "--to", url).code == 0
    assert json.loads(fs.cat(f"{url}/current.json")) == {"release": first.id}
    page = fs.cat(f"{url}/releases/{first.id}/ru/{SEED}.html").decode()
    assert '<html lang="ru">' in page

    second = services.release_create(rt)
    services.release_approve(rt, second.id)
    original = fs.pipe_file
    calls = []

    def failing(path, value, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == 5:
            raise OSError("connection reset")
        return original(path, value, **kwargs)

    fs.pipe_file = failing  # the network drops half-way through the upload
    try:
        with pytest.raises(OSError):
            services.publish(rt, second.id, url)
    finally:
        del fs.pipe_file
    assert json.loads(fs.cat(f"{url}/current.json")) == {"release": first.id}
    listed = tilmech("--project", rt.settings.root, "releases", "--to", url)
    assert [line.split("\t")[0] for line in listed.out.splitlines()] == [f"* {first.id}"]  # the half upload is not

    services.publish(rt, second.id, url)
    assert tilmech("--project", rt.settings.root, "verify", str(second.id), "--to", url).code == 0
    assert tilmech("--project", rt.settings.root, "rollback", "--to", url).out.strip() == f"current release: {first.id}"
    fs.pipe(f"{url}/releases/{first.id}/en/index.html", b"tampered")
    bad = tilmech("--project", rt.settings.root, "verify", str(first.id), "--to", url)
    assert bad.code == 1 and bad.out.splitlines() == ["en/index.html: differs from the manifest"]


def test_an_fsspec_target_whose_package_is_missing_says_what_to_install(rt: Runtime, tilmech) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    if importlib.util.find_spec("s3fs") is not None:
        pytest.skip("s3fs is installed here")
    _approve_all(rt, "ru")
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    for command in (["publish", str(release.id)], ["releases"], ["rollback", "1"], ["verify", "1"]):
        result = tilmech("--project", rt.settings.root, *command, "--to", "s3://bucket/site")
        assert result.code == 3, result
        assert result.err.splitlines() == ["error: s3://bucket/site: publishing to s3:// needs s3fs, which is not "
                                           "installed: pip install s3fs, then publish again"]
    unknown = tilmech("--project", rt.settings.root, "releases", "--to", "nosuch://bucket/site")
    assert unknown.code == 2 and len(unknown.err.splitlines()) == 1 and "Protocol not known" in unknown.err


def test_a_release_folder_linked_from_elsewhere_is_refused(rt: Runtime, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    """`ln -s /elsewhere/releases/1 public/releases/7`: not listed, not verified, never switched to."""
    import os

    _approve_all(rt, "ru")
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    elsewhere, out = tmp_path / "elsewhere", tmp_path / "site"
    services.publish(rt, release.id, elsewhere)  # a valid release, but in another folder
    services.publish(rt, release.id, out)
    os.symlink(elsewhere / "releases" / str(release.id), out / "releases" / "7")
    project = rt.settings.root

    listed = tilmech("--project", project, "releases", "--to", out)
    assert listed.code == 0
    assert [line.split("\t")[0] for line in listed.out.splitlines()] == [f"* {release.id}"]
    assert listed.err.splitlines() == [f"warning: releases/7 is a link to {elsewhere}/releases/{release.id}, "
                                       "not a release folder: not listed, never served"]
    for command in ("rollback", "verify"):
        refused = tilmech("--project", project, command, "7", "--to", out)
        assert refused.code == 2, refused
        assert refused.err.splitlines() == [f"error: {out}/releases/7 is a link to {elsewhere}/releases/"
                                            f"{release.id}, not a release folder: releases are read only from "
                                            "their own folders; remove the link, or publish release 7 again"]
    assert (out / "current").resolve() == (out / "releases" / str(release.id)).resolve()

    # a `current` pointed by hand at the link is not a current release either
    os.replace(out / "current", out / "old-current")
    os.symlink("releases/7", out / "current")
    from tilmech.publish import current_release

    assert current_release(out) is None


def test_the_release_root_is_in_a_manifest_verified_and_rebuilt_byte_for_byte(rt: Runtime, tmp_path: Path,
                                                                                tilmech) -> None:  # type: ignore[no-untyped-def]
    """Landing page, robots.txt, sitemap.xml and favicon sit at the release root, listed in its own
    manifest.json: verify checks them; a second publish, elsewhere, gives the same bytes."""
    settings = rt.settings.root / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace('base_url: ""', 'base_url: "https://news.example.org/"'),
                        encoding="utf-8")
    from tilmech.runtime import load_runtime

    rt = load_runtime(rt.settings.root)
    _approve_all(rt, "ru")
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    one, two = services.publish(rt, release.id, tmp_path / "one"), services.publish(rt, release.id, tmp_path / "two")

    def files(folder: Path) -> dict[str, bytes]:
        return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
                if p.is_file() and p.name != "build-info.json"}

    assert files(one.path) == files(two.path)
    root = json.loads((one.path / "manifest.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in root["files"] if not f["path"].startswith("assets/")] == [
        "index.html", "robots.txt", "sitemap.xml", "static/favicon.svg", "static/site.css"]
    assert len(root["files"]) == 7  # and the two articles' images
    _verify(one.path)
    project = rt.settings.root
    assert tilmech("--project", project, "verify", str(release.id), "--to", tmp_path / "one").code == 0
    (one.path / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    (one.path / "extra.html").write_text("x", encoding="utf-8")
    bad = tilmech("--project", project, "verify", str(release.id), "--to", tmp_path / "one")
    assert bad.code == 1
    assert bad.out.splitlines() == ["robots.txt: differs from the manifest", "extra.html: not in the manifest"]


# -- the files articles reference ----------------------------------------------------------------------


def _publish_all(rt: Runtime, dest: Path, **options: bool) -> services.PublishReport:
    for code in ("ru", "ky", "zh"):
        _approve_all(rt, code)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    return services.publish(rt, release.id, dest, **options)


def _showcase_with_report(project: Path, markdown: str) -> None:
    """A PDF under content/en/files/, and the showcase article extended with a link to it, a link to
    another page, then ``markdown``."""
    content = project / "content" / "en"
    (content / "files").mkdir()
    (content / "files" / "report.pdf").write_bytes(b"%PDF-1.4\n%report\n")
    showcase = content / "partners-showcase.md"
    showcase.write_text(showcase.read_text(encoding="utf-8")
                        + "\nThe [full report](files/report.pdf) and the [partners page](other-page.html).\n\n"
                        + markdown, encoding="utf-8")


def test_referenced_images_ship_in_the_release_listed_and_sized(pseudo_project: Path, tmp_path: Path) -> None:
    from PIL import Image

    from tilmech.publish import verify_release

    _showcase_with_report(pseudo_project, (
        "![A remote picture](https://www.example.org/remote.png)\n\n"
        '<p><img src="images/plaque.jpg"> <img src="https://www.example.org/raw.png" alt="Raw"></p>\n'))
    rt = drafted(pseudo_project)
    report = _publish_all(rt, tmp_path / "site")
    root = report.path
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assets = {a["source"]: a for a in manifest["assets"]}
    assert set(assets) == {"content/en/images/knu-smart-classroom.jpg", "content/en/images/plaque.jpg",
                           "content/en/files/report.pdf"}
    for source, entry in assets.items():
        data = (pseudo_project / source).read_bytes()
        assert (root / entry["path"]).read_bytes() == data  # copied, content-addressed
        assert entry["path"] == f"assets/{hashlib.sha256(data).hexdigest()[:16]}{Path(source).suffix}"
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
        if source.endswith(".jpg"):
            with Image.open(pseudo_project / source) as image:
                assert (entry["width"], entry["height"]) == image.size
        else:
            assert "width" not in entry
        assert entry["path"] in {f["path"] for f in manifest["files"]}
    plaque, seed_image = assets["content/en/images/plaque.jpg"], assets["content/en/images/knu-smart-classroom.jpg"]
    for code in ("en", "ru", "ky", "zh"):
        page = (root / code / "partners-showcase.html").read_text(encoding="utf-8")
        local = f'src="../{plaque["path"]}"'
        assert page.count(f'<img {local} alt="') == 2 and page.count(f'<img {local} alt=""') == 1, code  # raw: alt=""
        assert f'width="{plaque["width"]}" height="{plaque["height"]}"' in page
        assert f'href="../{assets["content/en/files/report.pdf"]["path"]}"' in page
        assert 'href="other-page.html"' in page  # a link to a page is not a file
        assert 'src="https://www.example.org/remote.png"' in page and 'src="https://www.example.org/raw.png"' in page
        seed = (root / code / f"{SEED}.html").read_text(encoding="utf-8")
        assert f'src="../{seed_image["path"]}"' in seed and 'width="800" height="450"' in seed
    assert verify_release(tmp_path / "site", report.release) == []
    (root / plaque["path"]).write_bytes(b"changed")
    assert verify_release(tmp_path / "site", report.release) == [f"{plaque['path']}: differs from the manifest"]
    rt.close()


def test_a_missing_referenced_file_stops_the_publish(pseudo_project: Path, tmp_path: Path) -> None:
    from tilmech.errors import InputError

    rt = drafted(pseudo_project)
    for code in ("ru", "ky", "zh"):
        _approve_all(rt, code)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    (pseudo_project / "content" / "en" / "images" / "plaque.jpg").unlink()
    out = tmp_path / "site"
    with pytest.raises(InputError) as refused:
        services.publish(rt, release.id, out)
    assert str(refused.value) == (
        "content/en/partners-showcase.md:17: images/plaque.jpg: the referenced file "
        "content/en/images/plaque.jpg is missing: add it, correct the path, or publish with "
        "--allow-missing-assets (the reference then stays broken)")
    assert refused.value.exit_code == 2 and not out.exists()
    report = services.publish(rt, release.id, out, allow_missing_assets=True)  # tilmech publish --allow-missing-assets
    assert [w for w in report.warnings if "plaque" in w] == [f"{refused.value} (published with --allow-missing-assets)"]
    page = (out / "current" / "ru" / "partners-showcase.html").read_text(encoding="utf-8")
    assert '<img src="images/plaque.jpg" alt="' in page  # left as written
    manifest = json.loads((out / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert [a["source"] for a in manifest["assets"]] == ["content/en/images/knu-smart-classroom.jpg"]
    rt.close()


def test_a_reference_out_of_the_content_folder_is_refused(pseudo_project: Path, tmp_path: Path) -> None:
    from tilmech.errors import InputError

    (pseudo_project / "secret.png").write_bytes(b"secret")
    showcase = pseudo_project / "content" / "en" / "partners-showcase.md"
    showcase.write_text(showcase.read_text(encoding="utf-8") + "\n![Secret](../../secret.png)\n", encoding="utf-8")
    rt = drafted(pseudo_project)
    with pytest.raises(InputError, match=r"^content/en/partners-showcase.md:\d+: \.\./\.\./secret.png: outside the "
                                         r"content folder \(content/en\)"):
        _publish_all(rt, tmp_path / "site")
    assert not (tmp_path / "site" / "current").exists()
    rt.close()


@pytest.mark.parametrize("fmt,options", [("PNG", {}), ("GIF", {}), ("JPEG", {}), ("JPEG", {"progressive": True}),
                                         ("WEBP", {}), ("WEBP", {"lossless": True}), ("WEBP", {"alpha": True})])
def test_image_sizes_read_from_headers_agree_with_pillow(fmt: str, options: dict[str, bool]) -> None:
    import io

    from PIL import Image

    from tilmech.publish.assets import image_size

    mode = "RGBA" if options.pop("alpha", False) else "RGB"
    out = io.BytesIO()
    Image.new(mode, (317, 123), (10, 20, 30, 128)[: len(mode)]).save(out, fmt, **options)
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as image:
        assert image_size(data) == image.size == (317, 123)


def test_svg_sizes_and_unknown_files() -> None:
    from tilmech.publish.assets import image_size

    assert image_size(b'<svg xmlns="http://www.w3.org/2000/svg" width="64px" height="48"></svg>') == (64, 48)
    assert image_size(b'<?xml version="1.0"?>\n<svg viewBox="0 0 32 16"/>') == (32, 16)
    assert image_size(b"%PDF-1.4") is None and image_size(b"\x89PNG\r\n\x1a\n") is None


def _written_references(markdown: str) -> list[str]:
    """Every URL an image or link of a Markdown text points at: Markdown syntax and raw HTML alike."""
    from html.parser import HTMLParser

    from tilmech.markdown.extract import markdown_parser

    urls: list[str] = []

    class Raw(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            urls.extend(str(v) for k, v in attrs if k in ("src", "href") and v)

    def walk(tokens: list) -> None:  # type: ignore[type-arg]
        for token in tokens:
            if token.type == "image":
                urls.append(str(token.attrGet("src")))
            elif token.type == "link_open":
                urls.append(str(token.attrGet("href")))
            elif token.type in ("html_inline", "html_block"):
                Raw().feed(token.content)
            walk(token.children or [])

    walk(markdown_parser().parse(markdown))
    return urls


def test_markdown_files_and_feed_content_point_at_the_release_files(pseudo_project: Path, tmp_path: Path) -> None:
    """The ``.md`` of each bundle references the copies in ``assets/`` (as the pages do); with
    ``site.base_url`` set, feed content has absolute URLs for the release's images and links."""
    from urllib.parse import urlsplit

    from lxml import etree, html

    from tilmech.articles import read_article
    from tilmech.publish import verify_release

    base = "https://news.example.org/ichei/"
    settings = pseudo_project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace('base_url: ""', f'base_url: "{base}"'),
                        encoding="utf-8")
    _showcase_with_report(pseudo_project, (
        "![The plaque][plaque] and ![A remote picture](https://www.example.org/remote.png)\n\n"
        '<p><img src="images/plaque.jpg"></p>\n\n'
        "[plaque]: images/plaque.jpg\n"))
    rt = drafted(pseudo_project)
    report = _publish_all(rt, tmp_path / "site")
    root = report.path
    listed = {f["path"] for f in json.loads((root / "manifest.json").read_text(encoding="utf-8"))["files"]}
    assets = {a["source"]: a["path"] for a in json.loads((root / "manifest.json").read_text(encoding="utf-8"))["assets"]}
    for code in ("en", "ru", "ky", "zh"):
        for md in sorted((root / code).glob("*.md")):
            article = read_article(md.read_text(encoding="utf-8"), md.stem)
            urls = _written_references(article.body)
            local = [u for u in urls if not urlsplit(u).scheme and not u.endswith(".html")]
            assert local, md  # both articles reference files
            for url in local:
                file = (md.parent / url).resolve()
                assert file.is_file(), (md, url)  # resolves inside the bundle...
                assert file.relative_to(root.resolve()).as_posix() in listed, (md, url)  # ...and is in the manifest
            if md.stem == "partners-showcase":
                assert sorted(local) == sorted([f"../{assets['content/en/files/report.pdf']}"]
                                               + [f"../{assets['content/en/images/plaque.jpg']}"] * 3)
                assert "other-page.html" in urls and "https://www.example.org/remote.png" in urls

        feed = json.loads((root / code / "feed.json").read_text(encoding="utf-8"))
        atom = etree.parse(str(root / code / "feed.xml")).getroot()
        bodies = [item["content_html"] for item in feed["items"]]
        bodies += [str(c.text) for c in atom.iter("{http://www.w3.org/2005/Atom}content")]
        assert len(bodies) == 4, code
        for body in bodies:
            fragment = html.fragment_fromstring(body, create_parent="div")
            urls = [str(u) for u in fragment.xpath("//img/@src | //a/@href")]
            assert urls and all(urlsplit(u).scheme in ("https", "mailto") for u in urls), (code, urls)
            for url in urls:
                if url.startswith(base) and not url.endswith(".html"):
                    assert url.removeprefix(base) in listed, url  # a file of the release, at its public URL
        showcase_body = feed["items"][[i["id"] for i in feed["items"]].index("partners-showcase")]["content_html"]
        assert f'src="{base}{assets["content/en/images/plaque.jpg"]}"' in showcase_body
        assert f'href="{base}{assets["content/en/files/report.pdf"]}"' in showcase_body
        assert f'href="{base}{code}/other-page.html"' in showcase_body  # a page link, as the page resolves it
        page = (root / code / "partners-showcase.html").read_text(encoding="utf-8")
        assert f'src="../{assets["content/en/images/plaque.jpg"]}"' in page  # the pages stay relative
    assert verify_release(tmp_path / "site", report.release) == []
    rt.close()
