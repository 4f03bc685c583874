"""What a run did: the summary printed at the end, tracked and written to `runs`."""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluation.metrics import Scores, format_scores
from evaluation.semantics import format_semantics
from storage.delta import Commit


@dataclass
class ResolveResult:
    run_id: str
    output: str
    rows_in: int
    quarantined: int
    resolved: int
    quarantine_reasons: dict[str, int]
    parse_issues: dict[str, int]
    candidate_pairs: int
    pairs_by_blocker: dict[str, int]
    linked_pairs: int
    clusters: int
    multi_record_clusters: int
    seconds: dict[str, float]
    commits: dict[str, Commit] = field(default_factory=dict)
    scores: Scores | None = None
    tracking_uri: str | None = None
    mode: str = "full"
    updated_records: int = 0
    changed_cluster_rows: int | None = None
    semantics: dict[str, float] = field(default_factory=dict)
    model_inputs: dict = field(default_factory=dict)
    # The run report (`evaluation.run_report`), Markdown.
    report: str | None = None

    def counts(self) -> dict[str, int]:
        return {
            "rows_in": self.rows_in,
            "quarantined": self.quarantined,
            "resolved": self.resolved,
            "candidate_pairs": self.candidate_pairs,
            "linked_pairs": self.linked_pairs,
            "clusters": self.clusters,
            "multi_record_clusters": self.multi_record_clusters,
        }

    def metrics(self) -> dict[str, float]:
        """Everything numeric, flat, as MLflow metrics."""
        out: dict[str, float] = {**self.counts()}
        if self.mode == "incremental":
            out["updated_records"] = self.updated_records
            out["changed_cluster_rows"] = self.changed_cluster_rows or 0
        out.update({f"seconds_{k}": v for k, v in self.seconds.items()})
        out.update({f"quarantined_{k}": v for k, v in self.quarantine_reasons.items()})
        out.update({f"unparsed_{k}": v for k, v in self.parse_issues.items()})
        out.update({f"pairs_{k}": v for k, v in self.pairs_by_blocker.items()})
        return out


def format_model_inputs(inputs: dict) -> list[str]:
    """How the run adapted to the catalogue, in the summary's layout."""
    if not inputs:
        return []
    roles = inputs.get("roles", {})
    lines = [
        f"  input columns      {inputs.get('mapping', '')}",
        f"  roles used         {', '.join(roles.get('used', []))}",
    ]
    for column, why in roles.get("left_out", {}).items():
        lines.append(f"  role left out      {column}: {why}")
    lines.append(f"  blockers           {', '.join(inputs.get('blockers', []))}")
    training = inputs.get("training") or {}
    if training:
        skipped = "; ".join(f"{k} ({v})" for k, v in training.get("em_skipped", {}).items())
        lines.append(
            f"  model training     prior from {training.get('prior_rule') or 'Splink default'}; "
            f"EM on {', '.join(training.get('em_steps', [])) or 'none (Splink defaults)'}"
            + (f"; skipped {skipped}" if skipped else "")
        )
    if "pair_model" in inputs:
        lines.append(f"  pair model         {inputs['pair_model']}")
    if "threshold" in inputs:
        lines.append(f"  linked at          match probability >= {inputs['threshold']:.3f}")
    return lines


def format_summary(res: ResolveResult) -> str:
    lines = [
        f"tracklink resolve ({res.mode}): run {res.run_id}",
        f"  rows in            {res.rows_in:>12,}",
        f"  quarantined        {res.quarantined:>12,}  {res.quarantine_reasons or ''}",
        f"  resolved           {res.resolved:>12,}",
        f"  check              {res.rows_in:,} in = {res.resolved:,} resolved + {res.quarantined:,} quarantined",
        f"  unparsed -> null   {res.parse_issues or 'none'}",
        f"  candidate pairs    {res.candidate_pairs:>12,}  {res.pairs_by_blocker}",
        f"  linked pairs       {res.linked_pairs:>12,}",
        f"  clusters           {res.clusters:>12,}  ({res.multi_record_clusters:,} with 2+ records)",
    ]
    lines += format_model_inputs(res.model_inputs)
    if res.mode == "incremental":
        lines += [
            f"  updated records    {res.updated_records:>12,}  (record_id seen before: replaced)",
            f"  cluster rows merged{res.changed_cluster_rows or 0:>12,}  (the rest left untouched)",
        ]
    lines.append(
        "  time               "
        + ", ".join(f"{k} {v:.1f}s" for k, v in res.seconds.items())
        + f"; total {sum(res.seconds.values()):.1f}s"
    )
    for name, c in res.commits.items():
        lines.append(f"  table {name:<12} {c.path} (version {c.version})")
    if res.report:
        lines.append(f"  report             {res.report}")
    if res.tracking_uri:
        lines.append(f"  mlflow             {res.tracking_uri} (run {res.run_id})")
    if res.scores:
        lines.append(f"  quality            {format_scores(res.scores)}")
    if res.semantics:
        counts = {k: int(v) for k, v in res.semantics.items() if k in ("works", "video_links")}
        lines.append(f"  semantics          {counts}")
        if "works_f1" in res.semantics:
            lines.append(f"  semantics quality  {format_semantics(res.semantics)}")
    return "\n".join(lines)
