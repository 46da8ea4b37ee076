"""Bulk review from a script: several articles in one `review approve`, segment ids on stdin."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from conftest import drafted, functional_checks
from tilmech import services


def test_several_articles_are_approved_in_one_call(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    content = pseudo_project / "content" / "en"
    shutil.copy(content / "partners-showcase.md", content / "a-third-article.md")
    rt = drafted(pseudo_project)
    try:
        slugs = sorted({item.article for item in services.review_list(rt, "ru")})[:2]
        assert len(slugs) == 2
        # the subject is several articles at once, not QA: their open functional findings are acknowledged
        result = tilmech("--project", pseudo_project, "review", "approve", "--lang", "ru",
                         "--article", slugs[0], "--article", slugs[1], "--acknowledge", functional_checks())
        assert result.code == 0, result.err
        assert [line.split(":")[0] for line in result.out.splitlines()] == slugs
        for slug in slugs:
            assert {item.state for item in services.review_list(rt, "ru", article=slug)} == {"approved"}
        others = [item for item in services.review_list(rt, "ru") if item.article not in slugs]
        assert others and all(item.state != "approved" for item in others)
        result = tilmech("--project", pseudo_project, "review", "approve", "--lang", "ru",
                         "--article", slugs[0], "--article", slugs[1], "--max-risk", "50")
        assert result.code == 2 and "--max-risk takes one --article" in result.err
    finally:
        rt.close()


def test_segment_ids_are_read_from_stdin(pseudo_project: Path, tilmech,  # type: ignore[no-untyped-def]
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    rt = drafted(pseudo_project)
    try:
        ids = [item.segment_id for item in services.review_list(rt, "ky", limit=3)]
        monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(ids) + "\n"))
        result = tilmech("--project", pseudo_project, "review", "approve", "--lang", "ky", "-")
        assert result.code == 0, result.err
        assert "approved 3 segments (ky)" in result.out
        states = {item.segment_id: item.state for item in services.review_list(rt, "ky")}
        assert all(states[sid] == "approved" for sid in ids)
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        result = tilmech("--project", pseudo_project, "review", "approve", "--lang", "ky", "-")
        assert result.code == 2 and "no segment IDs on stdin" in result.err
    finally:
        rt.close()
