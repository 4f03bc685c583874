"""The labelling session: two records side by side, the fields that differ
marked, one key per answer.

Keys: m match, n non-match, u unsure, b back (answer the previous pair
again), q quit. In a terminal a key is read as pressed; elsewhere (a
notebook, a pipe) each answer is a line read with `input()`. Answers are
written to the labels table every `flush_every` answers and when the
session ends, however it ends: a session cut short loses nothing written,
and the next one offers the pairs still unanswered again.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from labelling.table import now

KEYS = {"m": "match", "n": "non_match", "u": "unsure"}
HELP = "m = match, n = non-match, u = unsure, b = back, q = quit"
WIDTH = 36


def read_key(prompt: str) -> str:
    """One key from a terminal as pressed; one line from anything else."""
    if not sys.stdin.isatty():
        return input(prompt)
    import termios
    import tty

    print(prompt, end="", flush=True)
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        key = sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    print(key)
    if key == "\x03":
        raise KeyboardInterrupt
    return key


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "~"


def _same(a: object, b: object) -> bool:
    return str(a).strip().casefold() == str(b).strip().casefold()


def side_by_side(values_l: str | None, values_r: str | None) -> list[str]:
    """Both records' fields in rows; `*` marks a field whose values differ,
    `-` one that only one record has."""
    left, right = json.loads(values_l or "{}"), json.loads(values_r or "{}")
    names = list(dict.fromkeys([*left, *right]))
    width = max([len(n) for n in names] + [5])
    lines = []
    for name in names:
        a, b = left.get(name), right.get(name)
        if a is None and b is None:
            continue
        mark = "-" if (a is None) != (b is None) else (" " if _same(a, b) else "*")
        lines.append(f"{mark} {name:<{width}}  {_cell(a):<{WIDTH}}  {_cell(b)}")
    return lines


@dataclass
class Session:
    """One batch of pairs (`labelling.selection.pick_pairs` rows with
    `values_l`, `values_r`) put to a labeller; `write` appends answers."""

    batch: pd.DataFrame
    write: Callable[[list[dict]], None]
    labeller: str
    run_id: str | None
    ask: Callable[[str], str] = read_key
    say: Callable[[str], None] = print
    flush_every: int = 10
    answers: dict[int, dict] = field(default_factory=dict)
    _pending: list[dict] = field(default_factory=list)

    def _flush(self) -> None:
        if self._pending:
            self.write(self._pending)
            self._pending = []

    def _show(self, i: int, row) -> None:
        p = row.match_probability
        sp = getattr(row, "splink_probability", None)
        scores = f"p={p:.3f}" + ("" if sp is None or pd.isna(sp) else f" (Splink {sp:.3f})")
        self.say("")
        self.say(f"[{i + 1}/{len(self.batch)}] {row.record_id_l}  ~  {row.record_id_r}   {scores}")
        for line in side_by_side(row.values_l, row.values_r):
            self.say("  " + line)

    def run(self) -> dict[str, int]:
        """Ask about every pair; returns the answers counted by label."""
        rows = list(self.batch.itertuples(index=False))
        i = 0
        try:
            while i < len(rows):
                self._show(i, rows[i])
                key = self.ask(f"  {HELP} > ").strip().lower()[:1]
                if key == "q":
                    break
                if key == "b":
                    i = max(0, i - 1)
                    continue
                if key not in KEYS:
                    self.say(f"  ({HELP})")
                    continue
                row = rows[i]
                answer = {
                    "record_id_l": row.record_id_l,
                    "record_id_r": row.record_id_r,
                    "label": KEYS[key],
                    "labeller": self.labeller,
                    "labelled_at": now(),
                    "origin": "active",
                    "picked_by": row.picked_by,
                    "run_id": self.run_id,
                    "values_l": row.values_l,
                    "values_r": row.values_r,
                }
                self.answers[i] = answer
                self._pending.append(answer)
                if len(self._pending) >= self.flush_every:
                    self._flush()
                i += 1
        finally:
            self._flush()
        counts = {label: 0 for label in KEYS.values()}
        for answer in self.answers.values():
            counts[answer["label"]] += 1
        return counts
