"""The SparkSession a job runs on.

On spark-submit or Databricks a session already exists and is used as it is
(its jars and Delta support are the cluster's business). Locally a session is
built from `conf.SparkConfig`, with Splink's similarity jar attached.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

from pyspark.sql import SparkSession

from conf.config import SparkConfig
from conf.errors import EnvironmentProblem
from runtime.lock import pid_alive
from runtime.paths import is_local
from runtime.profile import event_log_settings

MIN_JAVA = 17


def java_major_version() -> int | None:
    """The major version of the `java` on PATH (or JAVA_HOME), or None if there is none."""
    home = os.environ.get("JAVA_HOME")
    java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not m:
        return None
    major = int(m.group(1))
    # Java 8 and older report themselves as 1.x.
    return int(m.group(2)) if major == 1 and m.group(2) else major


def check_java() -> None:
    version = java_major_version()
    if version is None:
        raise EnvironmentProblem(
            "Java not found: Spark needs Java 17+ "
            "(e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME)"
        )
    if version < MIN_JAVA:
        raise EnvironmentProblem(f"Java {version} found, Spark 4 needs Java {MIN_JAVA}+")


def splink_jar() -> str:
    from splink.backends.spark import similarity_jar_location

    return similarity_jar_location()


def active_session() -> SparkSession | None:
    return SparkSession.getActiveSession()


CHECKPOINT_PREFIX = "tracklink-ckpt-"


def scratch_dir() -> str:
    """A temporary checkpoint folder for this process, removed when it exits.
    Its name holds the pid, so the folders of killed processes (no exit
    handler ran) are removed by the next process that makes one."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        pid = name.removeprefix(CHECKPOINT_PREFIX).split("-")[0]
        if name.startswith(CHECKPOINT_PREFIX) and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)
    folder = tempfile.mkdtemp(prefix=f"{CHECKPOINT_PREFIX}{os.getpid()}-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def event_log_conf(cfg: SparkConfig) -> dict[str, str]:
    """The settings that write a plain event log into `cfg.event_log_dir`
    (`runtime.profile`), its folder made first: Spark does not start with a
    missing one. Empty when the config names no folder."""
    folder = cfg.event_log_dir
    if not folder:
        return {}
    if is_local(folder):
        # Absolute: the profile looks for the log where the setting says.
        folder = os.path.abspath(folder.removeprefix("file://").removeprefix("file:"))
        os.makedirs(folder, exist_ok=True)
    return event_log_settings(folder)


def build_local_session(cfg: SparkConfig) -> SparkSession:
    """A local session configured for tracklink (and for tests)."""
    check_java()
    # Workers must run this interpreter, or they miss pyarrow and the packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if cfg.master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    checkpoint_dir = cfg.checkpoint_dir or scratch_dir()
    jars = [splink_jar()]
    extra_jars = cfg.conf.get("spark.jars")
    if extra_jars:
        jars.append(extra_jars)
    builder = (
        SparkSession.builder.master(cfg.master)
        .appName(cfg.app_name)
        .config("spark.driver.memory", cfg.driver_memory)
        .config("spark.sql.shuffle.partitions", str(cfg.shuffle_partitions))
        .config("spark.default.parallelism", str(cfg.shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.adaptive.enabled", "true")
        # Delta readers expect microsecond timestamps, not Spark's legacy INT96.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.warehouse.dir", os.path.join(checkpoint_dir, "warehouse"))
        .config("spark.jars", ",".join(jars))
    )
    for key, value in {**RUNTIME_SQL_CONF, **event_log_conf(cfg), **cfg.conf}.items():
        if key != "spark.jars":
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir(os.path.join(checkpoint_dir, "checkpoints"))
    return spark


def launched_by_spark_submit() -> bool:
    """spark-submit (and pyspark shells) start Python with a JVM gateway already up."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


# SQL settings tracklink relies on; they can be set on a running session.
RUNTIME_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Blocking's plan is hundreds of joins, and Spark builds its text for every
    # query's SQL event: uncapped, that text can fill a driver's heap and slows
    # every later query, so cap it (bytes; docs/blocking.md, "How the
    # candidate table is built").
    "spark.sql.maxPlanStringLength": "1000000",
}


def get_spark(cfg: SparkConfig) -> SparkSession:
    """The session to run on. Under spark-submit or on Databricks the cluster's
    session is used as it is (its master, memory and jars come from the submit
    command or the cluster; the `spark` config section applies to local runs)."""
    spark = active_session()
    if spark is None and not launched_by_spark_submit():
        return build_local_session(cfg)
    if spark is None:
        spark = SparkSession.builder.appName(cfg.app_name).getOrCreate()
        # spark-submit's INFO logging would drown the progress lines.
        spark.sparkContext.setLogLevel("WARN")
    for key, value in RUNTIME_SQL_CONF.items():
        spark.conf.set(key, value)
    if not spark.sparkContext.getCheckpointDir():
        base = cfg.checkpoint_dir or scratch_dir()
        spark.sparkContext.setCheckpointDir(os.path.join(base, "checkpoints"))
    return spark


def session_has_delta(spark: SparkSession) -> bool:
    """True when `format("delta")` works on this session (jars and extension present)."""
    if "DATABRICKS_RUNTIME_VERSION" in os.environ:
        return True
    extensions = spark.conf.get("spark.sql.extensions", "") or ""
    if "io.delta.sql.DeltaSparkSessionExtension" not in extensions:
        return False
    try:
        jvm = spark.sparkContext._jvm
        jvm.java.lang.Class.forName("io.delta.tables.DeltaTable")
        return True
    except Exception:  # noqa: BLE001 - any JVM error means the jar is not there
        return False


def hadoop_fs(spark: SparkSession, path: str):
    """(Hadoop file system, Hadoop path) for `path`, resolved as the session's
    own reads and writes resolve it (hdfs:, s3a:, abfss:, dbfs:, a path without
    a scheme against the default file system); None where the driver has no
    JVM (Spark Connect). Raises whatever Py4J raises for an unknown scheme."""
    try:
        jvm = spark.sparkContext._jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
    except Exception:  # noqa: BLE001 - no sparkContext on a Connect session
        return None
    if jvm is None:
        return None
    jpath = jvm.org.apache.hadoop.fs.Path(path)
    return jpath.getFileSystem(conf), jpath
