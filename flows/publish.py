"""publish-release: an approved release → localized bundles, switched in atomically."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tilmech import services
from tilmech.publish import PublishReport
from tilmech.runtime import load_runtime


@task(name="build-and-publish", cache_policy=NO_CACHE)
def build_and_publish(project: str, release: int, to: str | None = None,
                      allow_missing_assets: bool = False) -> PublishReport:
    rt = load_runtime(project)
    try:
        return services.publish(rt, release, to, allow_missing_assets=allow_missing_assets)
    finally:
        rt.close()


@flow(name="publish-release", flow_run_name="publish release {release}")
def publish_release(project: str = ".", release: int = 0, to: str | None = None,
                    allow_missing_assets: bool = False) -> PublishReport:
    report = build_and_publish(project, release, to, allow_missing_assets)
    lines = [f"# Release {report.release} published", "", f"Location: `{report.location}`", "",
             "| locale | articles |", "|---|---|"]
    lines += [f"| {locale} | {count} |" for locale, count in sorted(report.locales.items())]
    lines += ["", f"{report.files} files, each listed with its sha256 in its locale's manifest.json."]
    create_markdown_artifact(key="release-manifest", markdown="\n".join(lines),
                             description=f"What release {report.release} ships")
    get_run_logger().info("published release %s to %s", report.release, report.location)
    for warning in report.warnings:
        get_run_logger().warning("%s", warning)
    return report
