# Databricks notebook source
# MAGIC %md
# MAGIC # tracklink: label pairs, train, and see the champion
# MAGIC
# MAGIC The labelling loop of `tracklink label` in a notebook: each pair is shown
# MAGIC side by side (`*` marks the fields that differ) and each answer is typed in
# MAGIC the input box (`m` match, `n` non-match, `u` unsure, `b` back, `q` quit).
# MAGIC Answers go to the output's `labels` Delta table as you go; run the cell
# MAGIC again for the next batch. Then train and register a model from the labels.
# MAGIC Widgets: the output folder of a resolve run, the batch size, an optional
# MAGIC golden file to import instead of labelling. Locally it runs as plain
# MAGIC Python: `TRACKLINK_OUTPUT`, `TRACKLINK_BATCH`, `TRACKLINK_IMPORT`.

# COMMAND ----------

import os
import sys
from pathlib import Path


def _repo_root() -> Path:
    here = Path(globals().get("__file__", Path.cwd() / "label_pairs.py")).resolve().parent
    return here.parent if (here.parent / "jobs").is_dir() else here


sys.path.insert(0, str(_repo_root()))

WIDGETS = {
    "output": ("TRACKLINK_OUTPUT", "/tmp/tracklink/resolved"),
    "batch": ("TRACKLINK_BATCH", "20"),
    "import": ("TRACKLINK_IMPORT", ""),
}
try:
    dbutils  # noqa: B018 - defined by Databricks
    for name, (_, default) in WIDGETS.items():
        dbutils.widgets.text(name, default)  # noqa: F821
    widget = dbutils.widgets.get  # noqa: F821
except NameError:

    def widget(name: str) -> str:
        env, default = WIDGETS[name]
        return os.environ.get(env, default)


params = {name: widget(name).strip() for name in WIDGETS}

# COMMAND ----------

from jobs import label, train  # noqa: E402

# A notebook has no terminal: each answer is read with input().
args = ["--output", params["output"]]
if params["import"]:
    args += ["--import", params["import"]]
else:
    args += ["--batch", params["batch"]]
label.main(args)

# COMMAND ----------

# Train on every label so far; registers a challenger and promotes it only if
# it beats the running model on the held-out labels.
train.main(["--output", params["output"]])
