"""The store on PostgreSQL: migrations, the whole review cycle, XLIFF import (savepoints), publishing."""

from __future__ import annotations

from pathlib import Path

from conftest import approve_article
from tilmech import services
from tilmech.runtime import load_runtime
from tilmech.store import Store

SEED = "smart-classroom-kyrgyzstan"


def test_the_pipeline_runs_on_postgresql(pseudo_project: Path, postgres_url: str, tmp_path: Path, tilmech) -> None:  # type: ignore[no-untyped-def]
    settings = pseudo_project / "tilmech.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("sqlite:///tilmech.db", postgres_url),
                        encoding="utf-8")
    upgraded = tilmech("--project", pseudo_project, "db", "upgrade")
    probe = Store(postgres_url, check=False)
    assert upgraded.code == 0 and f"→ {probe.schema_revision()[1]}" in upgraded.out
    probe.close()
    rt = load_runtime(pseudo_project)
    assert rt.store.engine.dialect.name == "postgresql"
    current, head = rt.store.schema_revision()
    assert current == head and upgraded.out.strip().endswith(f"→ {head}")
    services.ingest(rt)
    for code in ("ru", "ky", "zh"):
        report = services.translate_language(rt, code)
        assert report.new > 0
        assert services.translate_language(rt, code).new == 0  # the memory answers now
    items = services.review_list(rt, "ru", article=SEED)
    edited = services.review_edit(rt, items[0].segment_id, "ru", "Заголовок", items[0].version)
    assert edited.version == items[0].version + 1
    assert [i.segment_id for i in services.review_list(rt, "ru", query="заголовок")] == [items[0].segment_id]
    xliff = services.xliff_export(rt, SEED, "ru", "2.1").replace(f">{items[1].text}<", ">Аннотация<", 1)
    services.review_edit(rt, items[2].segment_id, "ru", "Правка", items[2].version)  # after the export
    outcomes = {o.segment_id: o.outcome for o in services.xliff_import(rt, xliff, "x.xlf")}
    assert outcomes[items[1].segment_id] == "edited" and outcomes[items[2].segment_id] == "refused"
    for code in ("ru", "ky", "zh"):
        approve_article(rt, code, SEED)
    release = services.release_create(rt)
    services.release_approve(rt, release.id)
    report = services.publish(rt, release.id, tmp_path / "site")
    assert (report.path / "ru" / f"{SEED}.html").exists()
    current, head = Store(rt.settings.store_url).schema_revision()
    assert current == head


OPEN_STORE = """
import sys
from tilmech.store import Store
Store(sys.argv[1]).close()
"""


def test_processes_opening_a_new_store_at_once_make_its_schema_once(postgres_url: str) -> None:
    """Two syncs starting together on a fresh database: one makes the schema, the others wait and use it."""
    import subprocess
    import sys

    procs = [subprocess.Popen([sys.executable, "-c", OPEN_STORE, postgres_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    store = Store(postgres_url)
    current, head = store.schema_revision()
    store.close()
    assert current == head
