"""publish-release: an approved release → localized bundles, switched in atomically."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from tilmech import services
from tilmech.runtime import load_runtime


@task(name="build-and-publish", cache_policy=NO_CACHE)
def build_and_publish(project: str, release: int, to: str | None = None) -> services.PublishReport:
    rt = load_runtime(project)
    try:
        return services.publish(rt, release, to)
    finally:
        rt.close()


@flow(name="publish-release", flow_run_name="publish release {release}")
def publish_release(project: str = ".", release: int = 0, to: str | None = None) -> services.PublishReport:
    return build_and_publish(project, release, to)
