"""One local[2] Spark session for every Spark test; skipped only where Java or pyspark is missing and CI is not set."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[spark]')"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "no Java runtime (make system-deps installs openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark():
    why = spark_missing()
    if why is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"the Spark tests must run in CI: {why}")
        pytest.skip(why)
    from audits.spark_audit import spark_session

    session = spark_session("local[2]", app_name="rai-audit-tests")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
