# Databricks notebook source
# MAGIC %md
# MAGIC # tracklink: resolve a music catalogue
# MAGIC
# MAGIC Runs the resolve job on the cluster's SparkSession (native Delta; attach
# MAGIC Splink's similarity jar to the cluster), then shows the cluster summary and a
# MAGIC few resolved examples. Widgets: the input, its format, the output folder,
# MAGIC the config file, optional `--set` overrides (one `key=value` per line) and
# MAGIC an optional truth column to evaluate against.
# MAGIC
# MAGIC Locally it runs as plain Python: widget values come from environment
# MAGIC variables (`TRACKLINK_INPUT`, `TRACKLINK_OUTPUT`, ...).

# COMMAND ----------

import os
import sys
from pathlib import Path


def _repo_root() -> Path:
    # In a Databricks repo the notebook's folder is the working directory;
    # as a script, __file__ is set. The packages live one level up.
    here = Path(globals().get("__file__", Path.cwd() / "resolve_catalog.py")).resolve().parent
    return here.parent if (here.parent / "jobs").is_dir() else here


sys.path.insert(0, str(_repo_root()))

# COMMAND ----------

WIDGETS = {
    "input": ("TRACKLINK_INPUT", ""),
    "input_format": ("TRACKLINK_INPUT_FORMAT", "catalog"),
    # One ROLE=COLUMN a line (or ";"-separated), as `--map` takes them.
    "map": ("TRACKLINK_MAP", ""),
    "output": ("TRACKLINK_OUTPUT", "/tmp/tracklink/resolved"),
    "config": ("TRACKLINK_CONFIG", ""),
    "overrides": ("TRACKLINK_SET", ""),
    "truth": ("TRACKLINK_TRUTH", ""),
}

try:
    dbutils  # noqa: B018 - defined by Databricks
    for name, (_, default) in WIDGETS.items():
        dbutils.widgets.text(name, default)  # noqa: F821
    widget = dbutils.widgets.get  # noqa: F821
except NameError:  # plain Python: environment variables stand in for widgets

    def widget(name: str) -> str:
        env, default = WIDGETS[name]
        return os.environ.get(env, default)


params = {name: widget(name).strip() for name in WIDGETS}
if not params["input"]:
    raise ValueError("set the 'input' widget (or TRACKLINK_INPUT) to a catalogue")
print(params)

# COMMAND ----------

from conf.config import load_config, map_overrides  # noqa: E402
from pipeline import RunInput, format_summary, resolve  # noqa: E402
from runtime.spark import get_spark  # noqa: E402

overrides = [line.strip() for line in params["overrides"].splitlines() if line.strip()]
maps = [m.strip() for m in params["map"].replace(";", "\n").splitlines() if m.strip()]
cfg = load_config(params["config"] or None, [*map_overrides(maps), *overrides])
spark = get_spark(cfg.spark)  # Databricks: the notebook's own session
source = RunInput(params["input"], params["input_format"], params["truth"] or None)
result = resolve(spark, cfg, source, params["output"])
print(format_summary(result))

# COMMAND ----------

# MAGIC %md ## Clusters by size

# COMMAND ----------

from pyspark.sql import Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from storage.delta import DeltaStore  # noqa: E402

store = DeltaStore.for_output(spark, params["output"], cfg.output)
clusters = store.read("clusters")
size_summary = (
    clusters.groupBy("cluster_size")
    .agg(F.countDistinct("cluster_id").alias("clusters"), F.count("*").alias("records"))
    .orderBy("cluster_size")
)


def show(df, n: int = 20) -> None:
    if "display" in globals():
        display(df.limit(n))  # noqa: F821 - Databricks
    else:
        df.show(n, truncate=60)


show(size_summary)

# COMMAND ----------

# MAGIC %md ## A few resolved examples: the largest clusters with more than one source

# COMMAND ----------

examples = (
    clusters.filter("cluster_size > 1")
    .withColumn("sources", F.size(F.collect_set("source").over(Window.partitionBy("cluster_id"))))
    .filter("sources > 1")
    .select("cluster_id", "source", "title", "artists", "album", "duration_s", "version")
    .orderBy("cluster_id", "source")
)
show(examples, 30)
