"""The command line's one error funnel: every failure ends as one line on stderr and its documented
exit code (1 the work failed, 2 usage or configuration, 3 environment not ready), a traceback only
with -v. Each case runs the real CLI on a real project."""

from __future__ import annotations

import errno
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import approve_article, drafted, functional_checks
from tilmech import services
from tilmech.cli import funnel
from tilmech.errors import StoreUnavailable
from tilmech.store import SegmentRow, Store
from web_support import write_lock

SEED = "smart-classroom-kyrgyzstan"


def _one_line(err: str) -> str:
    """The single line of stderr; fails on a traceback or on more lines."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def project(pseudo_project: Path) -> Path:
    """A project whose articles are drafted in ru, ky and zh (by the pseudo engine)."""
    drafted(pseudo_project).close()
    return pseudo_project


# -- a busy store -------------------------------------------------------------------------------------


@pytest.fixture
def impatient(project: Path) -> Path:
    """The drafted project, waiting at most 1 s for a busy store (store_timeout: 1); its store file."""
    settings = project / "tilmech.yaml"
    text, count = re.subn(r"(?m)^store_timeout: *\d+", "store_timeout: 1", settings.read_text(encoding="utf-8"))
    assert count == 1
    settings.write_text(text, encoding="utf-8")
    return project / "tilmech.db"


def test_a_busy_store_is_one_line_and_exit_3_and_the_retry_works(project: Path, impatient: Path,
                                                                 tilmech) -> None:  # type: ignore[no-untyped-def]
    with write_lock(impatient):
        listing = tilmech("--project", project, "review", "list", "--lang", "ru", "--state", "draft", "--ids")
        assert listing.code == 0  # reads do not wait for the writer
        segment = listing.out.split()[0]  # the worst: its functional QA findings are acknowledged
        approve = ("review", "approve", segment, "--lang", "ru", "--acknowledge", functional_checks())
        result = tilmech("--project", project, *approve)
        assert result.code == 3
        line = _one_line(result.err)
        assert line.startswith("error: the store is busy: ")
        assert str(impatient) in line and "store_timeout" in line and "try again" in line
    again = tilmech("--project", project, *approve)
    assert (again.code, again.out.strip()) == (0, "approved 1 segments (ru)"), again


def test_the_store_itself_maps_a_busy_lock_for_every_surface(project: Path) -> None:
    """The web app gets the same StoreUnavailable (HTTP 503) from the store; reads do not wait."""
    store = Store(f"sqlite:///{project / 'tilmech.db'}", timeout=0.2)
    with write_lock(project / "tilmech.db"):
        with store.reading() as session:
            assert session.query(SegmentRow).count() > 0
        with pytest.raises(StoreUnavailable, match=r"the store is busy: .*tilmech\.db") as info, \
                store.session() as session:
            session.execute(text("SELECT 1"))  # a unit of work starts by taking the write lock
        assert (info.value.exit_code, info.value.http_status) == (3, 503)
    store.close()


def test_an_unreachable_store_is_exit_3(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    settings = pseudo_project / "tilmech.yaml"
    text, count = re.subn(r"(?m)^store: .*$", "store: sqlite:///no/such/folder/tilmech.db",
                          settings.read_text(encoding="utf-8"))
    assert count == 1
    settings.write_text(text, encoding="utf-8")
    result = tilmech("--project", pseudo_project, "status")
    assert result.code == 3
    line = _one_line(result.err)
    assert line.startswith("error: cannot reach the store ") and "no/such/folder/tilmech.db" in line


# -- paths the user gave --------------------------------------------------------------------------------


def test_publish_to_a_file_is_a_usage_error(project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    from tilmech.runtime import load_runtime

    rt = load_runtime(project)
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code, SEED)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    rt.close()
    a_file = tmp_path / "site.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    for dest in (a_file, a_file / "public"):
        result = tilmech("--project", project, "publish", release.id, "--to", dest)
        assert result.code == 2, result
        line = _one_line(result.err)
        assert line.startswith(f"error: {a_file}: not a folder: publish to a folder")
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_glossary_export_into_a_missing_folder(pseudo_project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "missing" / "dir" / "x.tbx"
    result = tilmech("--project", pseudo_project, "glossary", "export", "-o", target)
    assert result.code == 2
    assert _one_line(result.err) == (f"error: {target}: cannot write it: the folder {target.parent} does not "
                                     "exist: make it first, or give another path")
    target.parent.mkdir(parents=True)
    assert tilmech("--project", pseudo_project, "glossary", "export", "-o", target).code == 0
    assert target.read_text(encoding="utf-8").startswith("<?xml")


def test_xliff_export_into_a_missing_folder_or_under_a_file(project: Path, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    for target in (tmp_path / "missing" / "x.xlf", Path(__file__) / "x.xlf"):
        result = tilmech("--project", project, "xliff", "export", "--article", SEED, "--lang", "ru", "-o", target)
        assert result.code == 2
        line = _one_line(result.err)
        assert line.startswith(f"error: {target}: cannot write it: ")


def test_an_os_error_on_a_users_path_is_one_line_exit_2(pseudo_project: Path, tmp_path: Path, tilmech,  # type: ignore[no-untyped-def]
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    locked = tmp_path / "locked.tbx"

    def refuse(*_args: object, **_kwargs: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(locked))

    monkeypatch.setattr(services, "glossary_export", refuse)
    result = tilmech("--project", pseudo_project, "glossary", "export", "-o", locked)
    assert (result.code, _one_line(result.err)) == (2, f"error: {locked}: Permission denied")


def test_os_errors_map_by_kind() -> None:
    cases = [
        (FileNotFoundError(errno.ENOENT, "No such file or directory", "/x/y.tbx"), 2,
         "error: /x/y.tbx: No such file or directory"),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/etc/hosts/x"), 2, "error: /etc/hosts/x: Not a directory"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/tmp"), 2, "error: /tmp: Is a directory"),
        (OSError(errno.ENOSPC, "No space left on device", "/site/x.html"), 1,
         "error: /site/x.html: No space left on device"),
        (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), 1, "error: Connection reset by peer"),
    ]
    for exc, code, line in cases:
        assert funnel.render(exc) == (line, code)


# -- what nobody foresaw --------------------------------------------------------------------------------


@pytest.fixture
def broken_status(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_args: object, **_kwargs: object) -> dict[str, dict[str, int]]:
        raise RuntimeError("the counts came out\nnegative")

    monkeypatch.setattr(services, "stats", boom)


@pytest.mark.usefixtures("broken_status")
def test_an_unknown_exception_is_an_internal_error_line(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", pseudo_project, "status")
    assert result.code == 1
    assert _one_line(result.err) == ("error: internal error: RuntimeError: the counts came out negative "
                                     "(run with -v for the traceback)")


@pytest.mark.usefixtures("broken_status")
def test_verbose_shows_the_traceback_then_the_line(pseudo_project: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    result = tilmech("--project", pseudo_project, "-v", "status")
    assert result.code == 1
    assert result.err.startswith("Traceback (most recent call last):")
    assert 'raise RuntimeError("the counts came out\\nnegative")' in result.err
    assert result.err.strip().splitlines()[-1] == "error: internal error: RuntimeError: the counts came out negative"


def test_a_database_error_the_store_did_not_map_is_exit_3(pseudo_project: Path, tilmech,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    def failing(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT lang FROM translations", {}, Exception("disk I/O error"))

    monkeypatch.setattr(services, "stats", failing)
    result = tilmech("--project", pseudo_project, "status")
    assert result.code == 3
    line = _one_line(result.err)
    assert line.startswith("error: the store failed: disk I/O error: check `store` in tilmech.yaml")


def test_a_real_process_exits_with_the_code_and_no_traceback(pseudo_project: Path, tmp_path: Path) -> None:
    """The entry point as a process (python -m tilmech.cli), not only main() in this one."""
    target = tmp_path / "nowhere" / "x.tbx"
    proc = subprocess.run([sys.executable, "-m", "tilmech.cli", "--project", str(pseudo_project), "glossary",
                           "export", "-o", str(target)], capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert _one_line(proc.stderr).startswith(f"error: {target}: cannot write it: the folder")


def test_a_deadlock_on_postgresql_says_so_and_that_nothing_was_saved(postgres_url: str) -> None:
    """Two writers each holding a row the other waits for: PostgreSQL ends one of them. That one is
    told what happened (not "locked for the 30 s of store_timeout"), exit 3 / HTTP 503, nothing saved."""
    import threading

    store = Store(postgres_url, check=False)
    with store.session() as session:
        session.execute(text("CREATE TABLE pair (id int PRIMARY KEY, n int)"))
        session.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    both = threading.Barrier(2)
    outcomes: list[BaseException | None] = [None, None]

    def writer(i: int, first: int, second: int) -> None:
        try:
            with store.session() as session:
                session.execute(text("UPDATE pair SET n = n + 1 WHERE id = :id"), {"id": first})
                both.wait(timeout=30)
                session.execute(text("UPDATE pair SET n = n + 1 WHERE id = :id"), {"id": second})
        except BaseException as exc:  # the outcome under test
            outcomes[i] = exc

    threads = [threading.Thread(target=writer, args=(0, 1, 2)), threading.Thread(target=writer, args=(1, 2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    failed = [exc for exc in outcomes if exc is not None]
    assert len(failed) == 1 and isinstance(failed[0], StoreUnavailable), outcomes
    assert "each waited for what the other held (a deadlock" in str(failed[0]) and "try again" in str(failed[0])
    assert (failed[0].exit_code, failed[0].http_status) == (3, 503)
    with store.reading() as session:
        assert sorted(session.execute(text("SELECT n FROM pair")).scalars()) == [1, 1]  # the winner's two updates
    store.close()
