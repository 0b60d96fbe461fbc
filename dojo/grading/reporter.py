"""What GitHub Classroom's grading reporter receives: one result per kata level.

`classroom-resources/autograding-grading-reporter@v1` (its src/ at 43c2d9f, the same as the v1
release) reads one base64 result per runner from `<RUNNER>_RESULTS` and:

- logs `Total points for <runner>: <(passing entries ÷ entries × max_score).toFixed(2)>/<max_score>`
  and a table of the same figures, unrounded;
- tells Classroom `Points <sum of every entry's score>/<sum of every runner's max_score>` (two
  notice annotations: "Autograding complete" and "Autograding report", the latter as JSON).

A kata as one runner with an entry per level would be logged as passing levels ÷ levels: 8.6/10
shown as 5.00/10. Here each kata level is a runner and its entries are the level's tests, so
passing entries ÷ entries × max_score is the level's points exactly as score.py computes them:
the log, the table and the annotation show the same grade.

The reporter adds the scores as JavaScript doubles, where 0.3 + 0.6 is 0.8999999999999999. The
entry scores are chosen so that the running sum lands exactly on the rounded total: the level's
cents are shared among its passing tests, moved between two of them if the first sharing would
show float noise, and only if no sharing can avoid it is the last score nudged by an ulp or two.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass

from .formats import level_message, status_of
from .score import KataScore, LevelScore

MAX_MOVES = 100  # cents tried moving between two entries of a level


@dataclass
class Runner:
    """One reporter runner: a kata level, its result document, and where the workflow finds it."""

    id: str
    result: dict

    @property
    def env(self) -> str:
        """The environment variable the reporter reads: the runner's id in capitals + `_RESULTS`."""
        return f"{self.id.upper()}_RESULTS"

    def encoded(self) -> str:
        return base64.b64encode(json.dumps(self.result, ensure_ascii=False).encode()).decode()


def runner_id(kata_name: str, level: int) -> str:
    """`lock-l1`: short enough for the reporter's 20-character table column; also the step output's name."""
    return f"{kata_name}-l{level}"


def runner_ids(levels_by_kata: list[tuple[str, list[int]]]) -> list[str]:
    return [runner_id(name, lv) for name, levels in levels_by_kata for lv in levels]


def runners(scores: list[KataScore]) -> list[Runner]:
    """One runner per kata level, in grade order, with scores whose JavaScript sum is exact."""
    levels = [(ks, lv) for ks in scores for lv in ks.levels]
    scores_by_level = entry_scores([([t.passed for t in lv.tests], lv.cents) for _ks, lv in levels])
    return [
        Runner(runner_id(ks.kata.name, lv.level), _result(ks, lv, entry_scores))
        for (ks, lv), entry_scores in zip(levels, scores_by_level)
    ]


def _result(ks: KataScore, lv: LevelScore, entry_scores: list[float]) -> dict:
    filename = ks.kata.rel(ks.kata.test_file)
    tests = []
    for i, (t, score) in enumerate(zip(lv.tests, entry_scores)):
        status = "pass" if t.passed else ("error" if ks.error and i == 0 else "fail")
        tests.append(
            {
                "name": f"{ks.kata.folder} L{lv.level} {t.name}",
                "status": status,
                "score": _num(score),
                "message": (ks.error if status == "error" else t.message)[:2000],
                "test_code": f"pytest {t.nodeid}",
                "filename": filename,
                "line_no": t.line,
                "duration": round(t.duration_s * 1000),
            }
        )
    status = "error" if ks.error else status_of({t["status"] for t in tests})
    return {
        "version": 1,
        "status": status,
        "max_score": _num(lv.max_points),
        "message": level_message(lv),
        "tests": tests,
    }


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x


# --- exact sums in JavaScript doubles ------------------------------------------------------------


def js_sum(values: list[float], start: float = 0.0) -> float:
    """What `values.reduce((acc, v) => acc + v, start)` gives in JavaScript (IEEE doubles, in order)."""
    acc = start
    for v in values:
        acc += v
    return acc


def entry_scores(levels: list[tuple[list[bool], int]]) -> list[list[float]]:
    """Scores for each level's entries (its tests: passed or not) given the level's points in cents.

    Each level's cents go to its passing tests, in quarter points (exact in binary) with the odd
    cents on one test; where that would leave the reporter's running sum off the rounded total,
    cents are moved between two passing tests of the level until it lands. If no sharing can land
    it (a level with a single passing test), the last non-zero score is nudged by an ulp or two.
    """
    acc, so_far, out = 0.0, 0, []
    for passed, cents in levels:
        so_far += cents
        target = so_far / 100
        best: tuple[list[int], float] | None = None
        for parts in _sharings(passed, cents):
            landed = js_sum([c / 100 for c in parts], acc)
            if best is None or landed == target:
                best = (parts, landed)
            if landed == target:
                break
        assert best is not None
        out.append([c / 100 for c in best[0]])
        acc = best[1]
    if acc != so_far / 100:
        _nudge(out, so_far / 100)
    return out


def _sharings(passed: list[bool], cents: int) -> Iterator[list[int]]:
    """Ways to share `cents` among the passing entries: quarters first, then cents moved between two."""
    winners = [i for i, ok in enumerate(passed) if ok]
    parts = [0] * len(passed)
    if not winners:
        yield parts
        return
    quarters, odd_cents = divmod(cents, 25)
    each, odd = divmod(quarters, len(winners))
    for rank, i in enumerate(winners):
        parts[i] = 25 * (each + (rank < odd))
    parts[winners[0]] += odd_cents
    yield parts
    if len(winners) > 1:
        giver, taker = winners[0], winners[-1]
        for moved in range(1, min(parts[giver], MAX_MOVES) + 1):
            trial = list(parts)
            trial[giver] -= moved
            trial[taker] += moved
            yield trial


def _nudge(scores: list[list[float]], target: float) -> None:
    """Make the running sum exactly `target` by moving the last two non-zero scores by a few ulps.

    With Q the sum up to the last one, `target - Q` is exact whenever Q is a multiple of target's
    ulp; moving the one before (or nothing, if there is none) by a few ulps gives such a Q.
    """
    paying = [(li, i) for li, level in enumerate(scores) for i, s in enumerate(level) if s]
    if not paying:
        return
    li, i = paying[-1]  # every score after it is 0: the sum ends as Q + this score
    flat = [(lv, k) for lv, level in enumerate(scores) for k in range(len(level))]
    before = [scores[lv][k] for lv, k in flat if (lv, k) < (li, i)]
    second = max((j for j, s in enumerate(before) if s), default=None)  # the non-zero score before it
    for offset in range(64):
        for direction in (math.inf, -math.inf):
            trial = list(before)
            if second is not None:
                for _ in range(offset):
                    trial[second] = math.nextafter(trial[second], direction)
            elif offset:
                continue
            q = js_sum(trial)
            last = target - q
            if q + last == target:
                if second is not None:
                    lv, k = flat[second]
                    scores[lv][k] = trial[second]
                scores[li][i] = last
                return


def github_outputs(runner_list: list[Runner], combined: dict) -> list[str]:
    """`name=value` lines for $GITHUB_OUTPUT: one base64 result per runner, and `result` for the whole grade."""
    lines = [f"{r.id}={r.encoded()}" for r in runner_list]
    lines.append("result=" + base64.b64encode(json.dumps(combined, ensure_ascii=False).encode()).decode())
    return lines
