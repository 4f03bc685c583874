"""The trained Splink model as the `model` table keeps it: data, never SQL.

Splink's saved model is its settings with the SQL in them (every level's
`sql_condition`). Handed back to Splink by a later run, that SQL would run,
so whoever could write the output folder could run SQL in the next
incremental run or `tracklink train`. The table keeps only what the model is
built from and what it learned; loading builds the SQL afresh with this
code's own comparisons (`linkage.model.settings`) and refuses stored data
that does not describe exactly what this code builds.

The stored form (`MODEL_FORMAT`):

    {"model_format": "tracklink-model/1",
     "probability_two_random_records_match": 0.00031,
     "comparisons": [
       {"kind": "column", "column": "title_norm", "parameters": {"tf_minimum_u": 0.001},
        "levels": [
          {"label": "title_norm is NULL", "comparison_vector_value": -1},
          {"label": "Exact match on title_norm", "comparison_vector_value": 3,
           "m_probability": 0.91, "u_probability": 0.0004, "fix_m_probability": false},
          ...]},
       {"kind": "cosine", "column": "audio_vec", "parameters": {"thresholds": [0.95, 0.9]},
        "levels": [...]}]}

`kind` is `column` (one of the comparisons `linkage.model` defines for a
tracklink column, the column naming it) or `cosine` (a vector column of
`input.embeddings`, cosine similarity at `thresholds`). A level's `label` and
`comparison_vector_value` identify it: they must equal those of the level
this code builds in that place. Outputs written before this format hold
Splink's full JSON: only its names, labels and numbers are read
(`stored_model` turns it into the form above) and its SQL is ignored.
"""

from __future__ import annotations

import math
import re
from typing import Any

from conf.config import LinkageConfig
from conf.errors import InputError
from linkage.model import MODEL_COLUMNS, settings

MODEL_FORMAT = "tracklink-model/1"
KINDS = ("column", "cosine")
# The dialect the rebuilt SQL is written in: a stored model scores on Spark.
DIALECT = "spark"
RERUN = "run a full tracklink resolve to store a model this code can load"
# A vector column's name goes into SQL (quoted by Splink) and into Spark column
# references: word characters, spaces and hyphens only.
VECTOR_NAME = re.compile(r"\w[\w -]{0,127}")
# The threshold at the end of Splink's label for a cosine level.
_COSINE_LABEL = re.compile(r"Cosine similarity of .+ >= ([0-9]*\.?[0-9]+(?:[eE]-?[0-9]+)?)")


def stored_model(model_json: dict[str, Any]) -> dict[str, Any]:
    """A Splink model's JSON (as trained, or as the `model` table held it
    before `MODEL_FORMAT`) -> the stored form: comparison kinds, columns and
    parameters, each level's label and learned probabilities. Only names,
    labels and numbers are read; the JSON's SQL is ignored."""
    comparisons = _list(model_json, "comparisons", "the model")
    return {
        "model_format": MODEL_FORMAT,
        "probability_two_random_records_match": _rounded(
            model_json.get("probability_two_random_records_match")
        ),
        "comparisons": [_described(_dict(c, "a comparison")) for c in comparisons],
    }


def _rounded(value: Any) -> Any:
    """A probability to 12 significant digits: training the same model again
    differs in the last bits (summation order), and a rerun should store the
    same model (`pipeline.fingerprint`)."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def _described(comparison: dict[str, Any]) -> dict[str, Any]:
    column = _text(comparison.get("output_column_name"), "a comparison's output_column_name")
    levels = [
        _dict(lvl, f"a level of {column!r}")
        for lvl in _list(comparison, "comparison_levels", repr(column))
    ]
    labels = [_text(lvl.get("label_for_charts"), f"a level label of {column!r}") for lvl in levels]
    if column in MODEL_COLUMNS:
        kind = "column"
        tf_floors = [
            lvl.get("tf_minimum_u_value") for lvl in levels if "tf_adjustment_column" in lvl
        ]
        parameters = {"tf_minimum_u": next((u for u in tf_floors if u is not None), None)}
    else:
        kind = "cosine"
        parameters = {"thresholds": _cosine_thresholds(column, labels, levels)}
    return {
        "kind": kind,
        "column": column,
        "parameters": parameters,
        "levels": [
            {
                "label": label,
                "comparison_vector_value": value,
                **{
                    key: _rounded(lvl[key])
                    for key in ("m_probability", "u_probability", "fix_m_probability")
                    if key in lvl and not lvl.get("is_null_level")
                },
            }
            for lvl, label, value in zip(levels, labels, _vector_values(levels), strict=True)
        ],
    }


def _cosine_thresholds(column: str, labels: list[str], levels: list[dict]) -> list[float]:
    """A vector comparison's thresholds, read from its levels' labels (the
    rebuilt levels' labels are then checked against them)."""
    thresholds = []
    for label, level in zip(labels[:-1], levels[:-1], strict=True):
        if level.get("is_null_level"):
            continue
        found = _COSINE_LABEL.fullmatch(label)
        if found is None:
            raise InputError(
                f"stored model: comparison {_shown(column)} is not one this code builds "
                f"(level {_shown(label)}); {RERUN}"
            )
        thresholds.append(float(found.group(1)))
    return thresholds


def _vector_values(levels: list[dict]) -> list[int]:
    """Splink's comparison vector values: -1 for the null level, the others
    counting down to 0 in order."""
    left = sum(1 for lvl in levels if not lvl.get("is_null_level"))
    values = []
    for lvl in levels:
        if lvl.get("is_null_level"):
            values.append(-1)
        else:
            left -= 1
            values.append(left)
    return values


def load_model(data: dict[str, Any]) -> dict[str, Any]:
    """Splink settings (Spark SQL) for a model as the `model` table holds it:
    the stored form, or an older output's Splink JSON, of which only the
    numbers and labels are used. The SQL is always this code's."""
    data = _dict(data, "the stored model")
    if "model_format" not in data:
        if "comparisons" not in data:
            raise InputError(f"stored model: neither {MODEL_FORMAT} nor a Splink model; {RERUN}")
        data = stored_model(data)
    elif data["model_format"] != MODEL_FORMAT:
        raise InputError(
            f"stored model: format {_shown(data['model_format'])} is not {MODEL_FORMAT}; {RERUN}"
        )
    return splink_settings(data)


def splink_settings(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored form -> Splink settings: each comparison built by
    `linkage.model.settings` from its kind, column and parameters, the stored
    probabilities set on its levels. Refused (InputError) unless the stored
    levels are exactly the levels built: their number, labels and vector values."""
    prior = _probability(
        stored.get("probability_two_random_records_match"),
        "probability_two_random_records_match",
        open_interval=True,
    )
    comparisons = _list(stored, "comparisons", "the stored model")
    if not comparisons:
        raise InputError(f"stored model: it compares nothing; {RERUN}")
    built = [_rebuilt(_dict(c, "a stored comparison")) for c in comparisons]
    names = [c["output_column_name"] for c, _ in built]
    if len(set(names)) != len(names):
        raise InputError(f"stored model: a column is compared twice ({', '.join(names)}); {RERUN}")
    out = built[0][1]
    out["comparisons"] = [c for c, _ in built]
    out["probability_two_random_records_match"] = prior
    out["sql_dialect"] = DIALECT
    return out


def _rebuilt(comparison: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One stored comparison -> (its Splink comparison dict, the settings
    dict it was built in)."""
    kind, column = comparison.get("kind"), comparison.get("column")
    if kind not in KINDS:
        raise InputError(f"stored model: unknown comparison kind {_shown(kind)}; {RERUN}")
    column = _text(column, "a comparison's column")
    parameters = _dict(comparison.get("parameters", {}), f"the parameters of {column!r}")
    if kind == "column":
        expected = {"tf_minimum_u"}
        if column not in MODEL_COLUMNS:
            raise InputError(f"stored model: unknown compared column {_shown(column)}; {RERUN}")
    else:
        expected = {"thresholds"}
        if column in MODEL_COLUMNS or not VECTOR_NAME.fullmatch(column):
            raise InputError(f"stored model: {_shown(column)} is not a vector column name; {RERUN}")
    extra = sorted(set(parameters) - expected)
    if extra:
        raise InputError(
            f"stored model: unknown parameters of {_shown(column)}: {_shown(extra)}; {RERUN}"
        )
    creator = settings(
        _builder_config(column, kind, parameters), {column}, [column] if kind == "cosine" else []
    )
    if len(creator.comparisons) != 1:
        raise InputError(
            f"stored model: this code builds no comparison on {_shown(column)}; {RERUN}"
        )
    built = creator.create_settings_dict(DIALECT)
    fresh = built["comparisons"][0]
    # The vector values as Splink numbers the levels it builds.
    values = [
        lvl.comparison_vector_value
        for lvl in creator.comparisons[0].get_comparison(DIALECT).comparison_levels
    ]
    stored = _list(comparison, "levels", repr(column))
    _set_levels(column, fresh["comparison_levels"], values, stored)
    return fresh, built


def _builder_config(column: str, kind: str, parameters: dict[str, Any]) -> LinkageConfig:
    """The config `linkage.model.settings` builds the comparison from: the
    stored parameters, nothing fixed (the stored m says what was)."""
    values: dict[str, Any] = {"fixed_m": {}}
    if kind == "column":
        floor = parameters.get("tf_minimum_u")
        values["tf_minimum_u"] = (
            None
            if floor is None
            else _probability(floor, f"tf_minimum_u of {column!r}", open_interval=True)
        )
    else:
        thresholds = _list(parameters, "thresholds", f"the parameters of {column!r}")
        values["vector_levels"] = [
            _probability(t, f"a threshold of {column!r}", open_interval=True) for t in thresholds
        ]
    return LinkageConfig(**values)


def _set_levels(column: str, fresh: list[dict], values: list[int], stored: list[Any]) -> None:
    """The stored probabilities set onto the rebuilt levels (`fresh`, with
    Splink's vector `values`), once each stored level is shown to be the
    rebuilt one."""
    if len(stored) != len(fresh):
        raise InputError(
            f"stored model: {_shown(column)} has {len(stored)} levels, this code builds "
            f"{len(fresh)}; {RERUN}"
        )
    for i, (level, stored_level, value) in enumerate(zip(fresh, stored, values, strict=True)):
        stored_level = _dict(stored_level, f"level {i} of {column!r}")
        label = stored_level.get("label")
        if (
            label != level["label_for_charts"]
            or stored_level.get("comparison_vector_value") != value
        ):
            raise InputError(
                f"stored model: level {i} of {_shown(column)} is "
                f"{_shown(label)} (vector value {_shown(stored_level.get('comparison_vector_value'))}), "
                f"this code builds {level['label_for_charts']!r} (vector value {value}); {RERUN}"
            )
        if level.get("is_null_level"):
            continue
        what = f"level {i} of {column!r}"
        for key in ("m_probability", "u_probability"):
            if stored_level.get(key) is not None:
                level[key] = _probability(stored_level[key], f"{key} of {what}")
        fixed = stored_level.get("fix_m_probability", False)
        if not isinstance(fixed, bool):
            raise InputError(f"stored model: fix_m_probability of {what} is not true or false")
        level["fix_m_probability"] = fixed


def _probability(value: Any, what: str, open_interval: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not ok:
        bounds = "between 0 and 1, exclusive" if open_interval else "between 0 and 1"
        raise InputError(f"stored model: {what} is {_shown(value)}, not a number {bounds}")
    return float(value)


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"stored model: {what} is not an object; {RERUN}")
    return value


def _list(parent: dict[str, Any], key: str, what: str) -> list[Any]:
    value = parent.get(key)
    if not isinstance(value, list):
        raise InputError(f"stored model: {what} has no list {key!r}; {RERUN}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"stored model: {what} is not a string; {RERUN}")
    return value


def _shown(value: Any, limit: int = 60) -> str:
    """A stored value quoted for a one-line message, cut short."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
