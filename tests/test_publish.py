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
        services.review_approve(rt, code, article=slug)


def _verify(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        assert hashlib.sha256((folder / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]


def test_only_complete_approved_articles_ship(rt: Runtime, tmp_path: Path) -> None:
    _approve_all(rt, "ru")
    services.review_approve(rt, "ky", article=SEED)  # ky: only one of two articles complete
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
    services.review_approve(rt, "ky", article=SEED)
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
    assert [f["path"] for f in root["files"]] == ["favicon.svg", "index.html", "robots.txt", "sitemap.xml"]
    _verify(one.path)
    project = rt.settings.root
    assert tilmech("--project", project, "verify", str(release.id), "--to", tmp_path / "one").code == 0
    (one.path / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    (one.path / "extra.html").write_text("x", encoding="utf-8")
    bad = tilmech("--project", project, "verify", str(release.id), "--to", tmp_path / "one")
    assert bad.code == 1
    assert bad.out.splitlines() == ["robots.txt: differs from the manifest", "extra.html: not in the manifest"]
