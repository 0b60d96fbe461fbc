"""Kata 04 — job queue with lists. Run: pytest katas/04_job_queue  (one level: --level 2)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import job_queue
import pytest

from dojo.measure import count_commands
from dojo.race import ReadBarrier, crash_points, in_background, run_concurrently

level = pytest.mark.level

PARTS = ("high", "normal", "processing", "dead")


class WorkerCrash(BaseException):
    """The worker process dies mid-job (kill -9, out of memory, a deploy): no `except Exception` runs."""


def jobs_in(r, name: str, part: str) -> list[dict]:
    """The jobs stored in the list queue:{name}:{part}, decoded."""
    return [json.loads(raw) for raw in r.lrange(f"queue:{name}:{part}", 0, -1)]


def ids_in(r, name: str, part: str) -> list[str]:
    return [job["id"] for job in jobs_in(r, name, part)]


def where_is(r, name: str, job_id: str) -> list[str]:
    """The lists of queue `name` that hold the job (empty: the job is lost)."""
    return [part for part in PARTS for i in ids_in(r, name, part) if i == job_id]


class Calls:
    """A handler that records every payload it is given (thread-safe), failing as told."""

    def __init__(self, fail_times: int = 0, error: type[BaseException] = RuntimeError, sleep_s: float = 0.0) -> None:
        self.payloads: list[dict] = []
        self.fail_times = fail_times
        self.error = error
        self.sleep_s = sleep_s
        self._lock = threading.Lock()

    def __call__(self, payload: dict) -> None:
        with self._lock:
            self.payloads.append(payload)
            calls = len(self.payloads)
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if calls <= self.fail_times:
            raise self.error(f"simulated failure {calls}")

    @property
    def count(self) -> int:
        return len(self.payloads)

    def order(self) -> list:
        return [p["n"] for p in self.payloads]


def drain(r, name: str, handler, limit: int = 100, **kwargs) -> list[str]:
    """Run work_one until no job comes; the ids it returned."""
    done = []
    for _ in range(limit):
        job_id = job_queue.work_one(r, name, handler, timeout_s=0.05, **kwargs)
        if job_id is None:
            return done
        done.append(job_id)
    raise AssertionError(f"work_one still found jobs after {limit} calls: are failed jobs retried forever?")


@level(1)
class TestCore:
    def test_enqueue_returns_a_new_id_at_once(self, r):
        ids = [job_queue.enqueue(r, "emails", {"n": i}) for i in range(20)]
        assert all(isinstance(i, str) and i for i in ids), (
            f"enqueue must return the job id as a non-empty str: {ids[:3]}"
        )
        assert len(set(ids)) == 20, "every job needs its own id: two jobs shared one"
        assert job_queue.pending(r, "emails") == 20, "enqueue returns at once; the jobs wait for a worker"

    def test_a_job_waits_as_json_in_its_priority_list(self, r):
        normal = job_queue.enqueue(r, "emails", {"to": "ada@example.com"})
        high = job_queue.enqueue(r, "emails", {"to": "bob@example.com"}, priority="high")
        [job] = jobs_in(r, "emails", "normal")
        assert job["id"] == normal and job["payload"] == {"to": "ada@example.com"} and job["priority"] == "normal", (
            f"queue:emails:normal must hold the job as JSON with its id, payload and priority; found {job}"
        )
        assert isinstance(job["attempts"], int), "the job's JSON must carry an integer `attempts`"
        assert ids_in(r, "emails", "high") == [high], "a high-priority job must wait in queue:emails:high"

    def test_an_unknown_priority_is_refused(self, r):
        for priority in ("low", "urgent", "HIGH", ""):
            with pytest.raises(ValueError):
                job_queue.enqueue(r, "emails", {"n": 1}, priority=priority)
        stored = {part: r.llen(f"queue:emails:{part}") for part in PARTS}
        assert not any(stored.values()), f"a refused enqueue must enqueue nothing; the lists hold {stored}"

    def test_pending_counts_both_priorities(self, r):
        assert job_queue.pending(r, "emails") == 0, "an empty queue has 0 jobs pending"
        job_queue.enqueue(r, "emails", {"n": 1})
        job_queue.enqueue(r, "emails", {"n": 2})
        job_queue.enqueue(r, "emails", {"n": 3}, priority="high")
        assert job_queue.pending(r, "emails") == 3, "pending must count the jobs waiting in both priority lists"

    def test_work_one_runs_the_handler_and_returns_the_id(self, r):
        job_id = job_queue.enqueue(r, "emails", {"to": "ada@example.com"})
        calls = Calls()
        assert job_queue.work_one(r, "emails", calls) == job_id, "work_one must return the id of the job it did"
        assert calls.payloads == [{"to": "ada@example.com"}], "the handler must be called once, with the payload"
        assert r.llen("queue:emails:processing") == 0, "a job done successfully must leave the processing list"
        assert job_queue.pending(r, "emails") == 0 and job_queue.dead_letters(r, "emails") == [], (
            "a job done successfully is neither waiting nor dead"
        )

    def test_work_one_returns_none_when_no_job_comes(self, r):
        calls = Calls()
        assert job_queue.work_one(r, "emails", calls, timeout_s=0.1) is None, "with no job, work_one must return None"
        assert calls.count == 0, "the handler must not be called when no job came"

    def test_a_producer_and_a_consumer_on_their_own_clients(self, r, make_redis):
        producer = make_redis()

        def produce() -> None:
            for n in range(20):
                job_queue.enqueue(producer, "emails", {"n": n})
                time.sleep(0.005)

        producing = in_background(produce)
        calls = Calls()
        for _ in range(20):
            if job_queue.work_one(r, "emails", calls, timeout_s=3) is None:
                producing.result()
                pytest.fail("the consumer waited 3 s and got nothing while the producer was enqueueing")
        producing.result()
        assert calls.order() == list(range(20)), f"the consumer must do the jobs in the order produced: {calls.order()}"


@level(2)
class TestOrderRetriesAndRecovery:
    def test_jobs_of_one_priority_are_taken_in_fifo_order(self, r):
        for n in range(10):
            job_queue.enqueue(r, "emails", {"n": n})
        calls = Calls()
        drain(r, "emails", calls)
        assert calls.order() == list(range(10)), (
            f"jobs were done in the order {calls.order()}: push at one end of the list and take from the other (FIFO)"
        )

    def test_high_priority_jobs_are_taken_before_normal_ones(self, r):
        for n, priority in [(1, "normal"), (2, "normal"), (3, "high"), (4, "normal"), (5, "high")]:
            job_queue.enqueue(r, "emails", {"n": n}, priority=priority)
        calls = Calls()
        drain(r, "emails", calls)
        assert calls.order() == [3, 5, 1, 2, 4], (
            f"done in the order {calls.order()}: every waiting high job comes first, then normal ones, each oldest first"
        )

    def test_a_waiting_worker_takes_a_job_as_soon_as_it_arrives(self, r, make_redis):
        producer = make_redis()
        enqueued_at: list[float] = []
        started_at: list[float] = []

        def produce() -> None:
            time.sleep(0.2)
            enqueued_at.append(time.monotonic())
            job_queue.enqueue(producer, "emails", {"n": 1})

        producing = in_background(produce)
        began = time.monotonic()
        job_id = job_queue.work_one(r, "emails", lambda payload: started_at.append(time.monotonic()), timeout_s=5)
        producing.result()
        assert job_id is not None, "a job enqueued while work_one waited was not taken"
        lag = started_at[0] - enqueued_at[0]
        assert lag < 0.5, (
            f"the job waited {lag:.2f} s after it was enqueued (work_one was called {enqueued_at[0] - began:.2f} s "
            "before): a worker blocked on the list wakes up the moment a job arrives"
        )

    def test_a_high_job_that_arrives_while_the_worker_waits_is_taken_at_once(self, r, make_redis):
        # Both lists are empty, so the worker waits. A worker blocked on the normal list for its whole
        # timeout is deaf to a high job that arrives meanwhile: block on both, or in short slices.
        producer = make_redis()
        enqueued_at: list[float] = []
        started_at: list[float] = []

        def produce() -> None:
            time.sleep(0.2)
            enqueued_at.append(time.monotonic())
            job_queue.enqueue(producer, "emails", {"n": 1}, priority="high")

        producing = in_background(produce)
        job_id = job_queue.work_one(r, "emails", lambda payload: started_at.append(time.monotonic()), timeout_s=1.5)
        producing.result()
        assert job_id is not None, "a high job enqueued while work_one waited was not taken within timeout_s"
        lag = started_at[0] - enqueued_at[0]
        assert lag < 0.5, (
            f"the high job waited {lag:.2f} s after it was enqueued: while waiting, keep listening to the high "
            "list too (block on both lists, or block in slices of ~0.1 s and look at both between them)"
        )

    def test_work_one_gives_up_after_timeout_s(self, r):
        began = time.monotonic()
        assert job_queue.work_one(r, "emails", Calls(), timeout_s=0.3) is None, "with no job, work_one returns None"
        waited = time.monotonic() - began
        assert 0.25 <= waited < 1.5, f"with timeout_s=0.3, work_one returned after {waited:.2f} s: wait about timeout_s"

    def test_a_failing_job_is_retried_until_it_succeeds(self, r):
        job_id = job_queue.enqueue(r, "emails", {"n": 1})
        [before] = jobs_in(r, "emails", "normal")
        calls = Calls(fail_times=2)
        assert job_queue.work_one(r, "emails", calls, max_attempts=3) == job_id, (
            "work_one returns the id of the job it tried, also when the handler failed"
        )
        [job] = jobs_in(r, "emails", "normal")
        assert job["id"] == job_id and job["attempts"] == before["attempts"] + 1, (
            f"a failed job must go back on its queue with attempts + 1; queue:emails:normal holds {job}"
        )
        assert r.llen("queue:emails:processing") == 0, "a failed job must leave the processing list when it is requeued"
        for _ in range(2):
            assert job_queue.work_one(r, "emails", calls, max_attempts=3) == job_id, (
                "the requeued job must be taken again by the next work_one"
            )
        assert calls.count == 3, f"the handler ran {calls.count} times: two failures, then one success"
        assert all(r.llen(f"queue:emails:{part}") == 0 for part in PARTS), (
            f"after the third try succeeded the job must be gone; lists: {[(p, r.llen(f'queue:emails:{p}')) for p in PARTS]}"
        )
        assert job_queue.work_one(r, "emails", calls, timeout_s=0.05) is None, "a job that succeeded was done again"

    def test_a_retried_job_keeps_its_priority(self, r):
        job_id = job_queue.enqueue(r, "emails", {"n": 1}, priority="high")
        job_queue.work_one(r, "emails", Calls(fail_times=1))
        assert where_is(r, "emails", job_id) == ["high"], (
            f"a failed high job must go back on queue:emails:high; it is in {where_is(r, 'emails', job_id)}"
        )

    def test_a_poison_job_goes_to_the_dead_letters_after_max_attempts(self, r):
        for max_attempts in (1, 3, 5):
            name = f"emails-{max_attempts}"
            job_id = job_queue.enqueue(r, name, {"to": "nobody@invalid"})
            calls = Calls(fail_times=1000, error=ValueError)
            done = drain(r, name, calls, max_attempts=max_attempts)
            assert calls.count == max_attempts, (
                f"with max_attempts={max_attempts} the handler ran {calls.count} times: "
                "a job gets exactly max_attempts tries, then goes to the dead letters"
            )
            assert done == [job_id] * max_attempts, "every try must return the poison job's id"
            dead = job_queue.dead_letters(r, name)
            assert [j["id"] for j in dead] == [job_id] and dead[0]["payload"] == {"to": "nobody@invalid"}, (
                f"the poison job must end in queue:{name}:dead, payload intact; dead_letters() = {dead}"
            )
            assert job_queue.pending(r, name) == 0 and r.llen(f"queue:{name}:processing") == 0, (
                "a dead job must be neither waiting nor processing"
            )

    def test_a_job_survives_a_worker_crash_and_is_done_after_recover(self, r, make_redis):
        job_id = job_queue.enqueue(r, "emails", {"to": "ada@example.com"})
        with pytest.raises(WorkerCrash):
            job_queue.work_one(r, "emails", Calls(fail_times=1, error=WorkerCrash))
        assert where_is(r, "emails", job_id) == ["processing"], (
            f"the worker crashed mid-job and the job is in {where_is(r, 'emails', job_id) or 'no list: lost'}: "
            "it must stay in queue:emails:processing until the handler returns (remove it only then)"
        )
        assert job_queue.recover(r, "emails") == 1, "recover must move the crashed job back and return 1"
        assert job_queue.pending(r, "emails") == 1 and r.llen("queue:emails:processing") == 0, (
            "after recover the job must wait on its queue again, and processing be empty"
        )
        calls = Calls()
        assert job_queue.work_one(make_redis(), "emails", calls) == job_id, "another worker must get the recovered job"
        assert calls.payloads == [{"to": "ada@example.com"}], (
            "the recovered job must reach the handler with its payload"
        )
        assert all(r.llen(f"queue:emails:{part}") == 0 for part in PARTS), "the recovered job, once done, must be gone"

    def test_recover_moves_every_crashed_job_back_exactly_once(self, r):
        for n in range(4):
            job_queue.enqueue(r, "emails", {"n": n})
        for _ in range(3):
            with pytest.raises(WorkerCrash):
                job_queue.work_one(r, "emails", Calls(fail_times=1, error=WorkerCrash))
        assert r.llen("queue:emails:processing") == 3, "three workers crashed: their three jobs must be in processing"
        assert job_queue.recover(r, "emails") == 3, "recover must return how many jobs it moved back"
        assert r.llen("queue:emails:processing") == 0, "after recover no job may be left in processing"
        assert job_queue.pending(r, "emails") == 4, (
            f"3 recovered + 1 waiting = 4 jobs must be pending, found {job_queue.pending(r, 'emails')}"
        )
        assert job_queue.recover(r, "emails") == 0, "a second recover found jobs again: recover must empty processing"
        calls = Calls()
        drain(r, "emails", calls)
        assert sorted(calls.order()) == [0, 1, 2, 3], (
            f"after recover the jobs done were {sorted(calls.order())}: each of the 4 jobs must be done exactly once"
        )

    def test_recover_puts_a_job_back_on_its_own_priority(self, r):
        job_queue.enqueue(r, "emails", {"n": 1})
        high = job_queue.enqueue(r, "emails", {"n": 2}, priority="high")
        with pytest.raises(WorkerCrash):
            job_queue.work_one(r, "emails", Calls(fail_times=1, error=WorkerCrash))
        job_queue.recover(r, "emails")
        assert high in ids_in(r, "emails", "high"), (
            f"the recovered high job is in {where_is(r, 'emails', high)}: recover must use the job's own priority"
        )
        calls = Calls()
        drain(r, "emails", calls)
        assert calls.order() == [2, 1], "after recover the high job must again come before the normal one"


@level(3)
class TestConcurrencyAndCrashes:
    def test_200_jobs_are_done_exactly_once_by_4_workers(self, r, make_redis):
        for n in range(200):
            job_queue.enqueue(r, "emails", {"n": n}, priority="high" if n % 2 else "normal")
        # The first reads of the lists are held until all 4 workers have read: four workers that
        # look at the next job before taking it all see the same job, every run.
        barrier = ReadBarrier(4, commands=("LINDEX", "LRANGE", "LLEN"))
        clients = [make_redis(on_reply=barrier) for _ in range(4)]
        calls = Calls(sleep_s=0.001)
        by_worker: Counter[int] = Counter()

        def worker(i: int) -> None:
            while job_queue.work_one(clients[i], "emails", calls, timeout_s=0.2) is not None:
                by_worker[i] += 1

        run_concurrently(worker, 4)
        done = Counter(calls.order())
        twice = sorted(n for n, c in done.items() if c > 1)
        missing = sorted(set(range(200)) - set(done))
        assert not twice, f"jobs {twice[:10]} were done more than once: taking a job must be one atomic command"
        assert not missing, f"jobs {missing[:10]} were never done"
        assert len(by_worker) >= 2, f"one worker did everything ({dict(by_worker)}): the others never got a job"
        assert r.llen("queue:emails:processing") == 0 and job_queue.pending(r, "emails") == 0, (
            "after 200 jobs were done, nothing may be waiting or left in processing"
        )

    def test_a_crash_right_after_the_take_loses_nothing(self, r, make_redis):
        for priority in ("high", "normal"):
            name = f"emails-{priority}"
            job_id = job_queue.enqueue(r, name, {"n": 1}, priority=priority)
            crashed_after = crash_once_taken(make_redis, name, job_id, priority)
            assert where_is(r, name, job_id), (
                f"the worker died right after {crashed_after} and the {priority} job is in no list: it was popped "
                "and not yet pushed. Take it and put it into processing in ONE command (LMOVE / BLMOVE)"
            )
            calls = Calls()
            job_queue.recover(r, name)
            drain(r, name, calls)
            assert calls.count == 1, f"after recover the job must be done once, it was done {calls.count} times"

    def test_a_crash_while_requeueing_a_failed_job_loses_nothing(self, r, make_redis):
        assert crash_when_lost(r, make_redis, max_attempts=3) == ["normal"], (
            "after one failure (max_attempts=3) the job must wait on its queue again"
        )

    def test_a_crash_while_dead_lettering_a_job_loses_nothing(self, r, make_redis):
        assert crash_when_lost(r, make_redis, max_attempts=1) == ["dead"], (
            "after its only allowed failure (max_attempts=1) the job must be in the dead letters"
        )

    def test_a_job_finished_out_of_order_acknowledges_itself_not_another(self, r, make_redis):
        first = job_queue.enqueue(r, "emails", {"n": 1})
        second = job_queue.enqueue(r, "emails", {"n": 2})
        # Worker A takes the first job and is still busy with it when worker B takes the second
        # and finishes first. Then A's process dies: its job must still be in processing.
        a_busy, b_done = threading.Event(), threading.Event()

        def slow_then_crash(payload: dict) -> None:
            a_busy.set()
            b_done.wait(5)
            raise WorkerCrash("worker A was killed while busy")

        worker_a = in_background(lambda: job_queue.work_one(make_redis(), "emails", slow_then_crash))
        worker_a.reaches(a_busy, "worker A never started on the first job")
        done = job_queue.work_one(make_redis(), "emails", Calls())
        b_done.set()
        with pytest.raises(WorkerCrash):
            worker_a.result()
        assert done == second, f"worker B must have done the second job, it did {done}"
        assert where_is(r, "emails", second) == [], "worker B finished the second job: it must leave processing"
        assert where_is(r, "emails", first) == ["processing"], (
            f"worker A died with the first job, which is now in {where_is(r, 'emails', first) or 'no list: lost'}: "
            "finishing a job must remove THAT job from processing (LREM of its own JSON), not whichever job "
            "was taken first (RPOP): with several workers, jobs finish in another order than they started"
        )
        assert job_queue.recover(r, "emails") == 1, "recover must bring back the one job worker A left in processing"
        calls = Calls()
        drain(r, "emails", calls)
        assert calls.order() == [1], f"after recover only worker A's job is left to do, got {calls.order()}"

    def test_a_worker_that_dies_between_any_two_steps_loses_no_job(self, r, make_redis):
        # The worker is killed right after its 1st write, then (a fresh run) after its 2nd, ...:
        # taking, finishing, retrying, dead-lettering and recovering a job. At no crash point may a
        # job be in no list, unless its handler had returned (it was done).
        ids: list[str] = []
        calls = Calls()

        def fresh(jobs: int) -> None:
            r.flushdb()
            calls.payloads.clear()
            ids[:] = [job_queue.enqueue(r, "emails", {"n": n}, priority=("normal", "high")[n % 2]) for n in range(jobs)]

        def crashed_twice() -> None:  # two jobs left in processing by workers that died mid-job
            fresh(2)
            for _ in range(2):
                with pytest.raises(WorkerCrash):
                    job_queue.work_one(r, "emails", Calls(fail_times=1, error=WorkerCrash))

        scenarios = {
            "a job that succeeds": (lambda: fresh(1), lambda c: job_queue.work_one(c, "emails", calls)),
            "a failed job retried": (
                lambda: fresh(1),
                lambda c: job_queue.work_one(c, "emails", Calls(fail_times=1), max_attempts=3),
            ),
            "a failed job dead-lettered": (
                lambda: fresh(1),
                lambda c: job_queue.work_one(c, "emails", Calls(fail_times=1), max_attempts=1),
            ),
            "recover": (crashed_twice, lambda c: job_queue.recover(c, "emails")),
        }
        for scenario, (setup, run) in scenarios.items():

            def check(point, scenario=scenario) -> None:
                lost = [job_id for job_id in ids if not where_is(r, "emails", job_id)]
                if scenario == "a job that succeeds" and calls.count:
                    return  # the handler returned: the job was done, acknowledging it may remove it
                assert not lost, (
                    f"{scenario}: the worker died {point} and {len(lost)} job(s) are in no list — lost. Every "
                    "move of a job between lists must be one atomic step (LMOVE, MULTI/EXEC or a script)"
                )

            points = crash_points(make_redis, run, check, setup=setup)
            assert points, f"{scenario}: the worker wrote nothing to Redis"


def crash_once_taken(make_redis, name: str, job_id: str, priority: str) -> str:
    """Run work_one and kill the worker right after the first reply after which the job is no longer
    waiting in queue:{name}:{priority}. Returns the command whose reply that was."""
    watcher = make_redis()
    crashed = []

    def hook(command: str, args: tuple) -> None:
        if not crashed and job_id not in ids_in(watcher, name, priority):
            crashed.append(command)
            raise WorkerCrash(f"killed right after {command}")

    calls = Calls()
    with pytest.raises(WorkerCrash):
        job_queue.work_one(make_redis(on_reply=hook), name, calls)
    assert calls.count == 0, "harness check: the crash should come before the handler runs"
    return crashed[0]


def crash_when_lost(r, make_redis, max_attempts: int) -> list[str]:
    """Fail one job; kill the worker at the first reply after which the job is in no list. Where it ends up."""
    job_id = job_queue.enqueue(r, "emails", {"n": 1})
    watcher = make_redis()
    calls = Calls(fail_times=1)
    lost_after = []

    def hook(command: str, args: tuple) -> None:
        # Once the handler has failed, the job must be in some list at every moment.
        if calls.count and not lost_after and not where_is(watcher, "emails", job_id):
            lost_after.append(command)
            raise WorkerCrash(f"killed right after {command}")

    try:
        job_queue.work_one(make_redis(on_reply=hook), "emails", calls, max_attempts=max_attempts)
    except WorkerCrash:
        pass
    assert not lost_after, (
        f"after the handler failed, the job was in no list right after {lost_after[0]}; a crash there loses it. "
        "Leave processing and enter the queue (or the dead letters) in one atomic step (MULTI/EXEC, Lua, LMOVE)"
    )
    return where_is(r, "emails", job_id)


@level(4)
class TestEvidence:
    def test_an_idle_worker_blocks_instead_of_polling(self, r, evidence):
        job_queue.enqueue(r, "other-queue", {"n": 1})  # another queue's job must not wake this worker
        began = time.monotonic()
        with count_commands(r) as counts:
            result = job_queue.work_one(r, "emails", Calls(), timeout_s=1.0)
        waited = time.monotonic() - began
        evidence.record(
            "commands sent by an idle work_one(timeout_s=1.0)",
            counts.total,
            "",
            detail=f"waited {waited:.2f} s; {counts}",
        )
        assert result is None, "there was no job on queue:emails:*, yet work_one returned one"
        assert 0.9 <= waited < 2.0, (
            f"an idle work_one(timeout_s=1.0) returned after {waited:.2f} s: wait about timeout_s"
        )
        # Blocking code sends a few commands per blocking call (~15 here); a polling loop, hundreds.
        assert counts.total <= 50, (
            f"waiting 1 s for a job sent {counts.total} commands ({counts}): block on the server "
            "(BLMOVE returns the moment a job arrives) instead of polling in a loop"
        )

    @pytest.mark.perf
    def test_enqueueing_answers_the_user_faster_than_working_inline(self, r, evidence):
        def send_email(payload: dict) -> None:
            time.sleep(0.05)  # the slow part of the request: an SMTP call, a thumbnail, a report

        def inline_request() -> None:
            send_email({"to": "ada@example.com"})

        def queued_request() -> None:
            job_queue.enqueue(r, "emails", {"to": "ada@example.com"})

        result = evidence.compare(
            "user response time: work inline vs enqueue (50 ms of work)",
            inline_request,
            queued_request,
            claim="1,100× faster user response (11 s → 10 ms)",
        )
        # Typically 50-100× here, as low as ~12× on a crowded machine (the round trip waits for the
        # scheduler). The bar, 5×, means the user waits at most 10 ms instead of 50: the POC's "10 ms".
        assert result.ratio >= 5, (
            f"enqueueing answered only {result.ratio:.1f}× faster than doing 50 ms of work inline ({result}): "
            "enqueue must be one quick command that hands the work over, not the work or a wait for it"
        )
        # The work is not skipped, only moved: a worker does every job the requests queued.
        queued, sent = job_queue.pending(r, "emails"), Calls()
        drain(r, "emails", sent)
        assert sent.count == queued == 8, f"{queued} requests were queued, the worker did {sent.count}: work was lost"
