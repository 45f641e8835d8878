"""The fair queue itself (engine/generations/queue.py): who gets a freed slot, the positions
and the estimates. Synchronous: the queue hands slots out on the event loop without waiting,
so these tests drive it directly (the jobs' side is in test_queue_jobs.py)."""

from __future__ import annotations

import asyncio

import pytest

from higgsctl.engine.generations.queue import FairQueue, about, in_line_detail, ordinal
from higgsctl.engine.generations.service_times import ServiceTimes


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def join(queue: FairQueue, user: int, n: int = 1, model: str = "m", **kw):
    return [queue.join(user * 100 + i, user, model, asyncio.Event(), **kw) for i in range(n)]


def granted_order(queue: FairQueue, tickets) -> list[int]:
    """Release running tickets one at a time (oldest first) until all have run; the order
    in which ``tickets`` were granted."""
    order = [t for t in queue.running if t in tickets]
    while queue.running:
        queue.release(next(iter(queue.running)))
        order += [t for t in queue.running if t in tickets and t not in order]
    return [t.generation_id for t in order]


def test_a_user_who_just_had_a_slot_waits_behind_one_who_had_none():
    queue = FairQueue(1)
    heavy = join(queue, 1, 6)
    light = join(queue, 2)
    assert [t.position for t in heavy] == [None, 2, 3, 4, 5, 6] and light[0].position == 1
    assert granted_order(queue, heavy + light) == [100, 200, 101, 102, 103, 104, 105]


def test_a_burst_arriving_second_takes_one_turn_at_most():
    queue = FairQueue(1)
    [busy] = join(queue, 3)
    heavy = join(queue, 1, 5)
    light = join(queue, 2)
    assert light[0].position == 2  # behind the burst's first job (it came first), never further
    assert granted_order(queue, heavy + light) == [100, 200, 101, 102, 103, 104]


@pytest.mark.parametrize("capacity", [1, 2, 4])
def test_users_take_turns_round_robin(capacity):
    queue = FairQueue(capacity)
    tickets = join(queue, 1, 5) + join(queue, 2, 3) + join(queue, 3, 1)
    order = granted_order(queue, tickets)
    waiting = order[capacity:]  # the first ones found free slots
    users = [gid // 100 for gid in waiting]
    for i in range(len(users) - 1):  # nobody runs twice in a row while another user waits
        if users[i] == users[i + 1]:
            assert all(u == users[i] for u in users[i:])
    assert max(order.index(200), order.index(300)) <= capacity + 2


def test_a_new_user_goes_ahead_of_a_served_burst_and_positions_move_back_honestly():
    queue = FairQueue(1)
    heavy = join(queue, 1, 4)
    assert [t.position for t in heavy[1:]] == [1, 2, 3]
    for ticket in heavy:
        ticket.wake.clear()
    light = join(queue, 2)
    assert light[0].position == 1 and [t.position for t in heavy[1:]] == [2, 3, 4]
    assert all(t.wake.is_set() for t in heavy[1:]) and not heavy[0].wake.is_set()


def test_a_user_whose_jobs_ran_out_starts_afresh():
    queue = FairQueue(1)
    [a] = join(queue, 1)
    queue.release(a, completed=True)  # user 1 has nothing left: forgotten
    assert queue.served == {} and queue.running_per_user == {}
    [b] = join(queue, 2)
    later = join(queue, 2) + join(queue, 1)
    assert [t.position for t in later] == [2, 1]  # user 2 was just served, user 1 is fresh


def test_the_per_user_limit_leaves_slots_to_others_and_keeps_the_users_place():
    queue = FairQueue(3, per_user=1)
    heavy = join(queue, 1, 3)
    assert [t.granted for t in heavy] == [True, False, False]
    assert len(queue.running) == 1  # two slots stay free: heavy may run only one
    light = join(queue, 2, 2)
    assert [t.granted for t in light] == [True, False]
    queue.release(heavy[0])
    assert heavy[1].granted and not heavy[2].granted and not light[1].granted
    queue.release(light[0])
    assert light[1].granted and not heavy[2].granted
    assert queue.running_per_user == {1: 1, 2: 1}


def test_leaving_the_line_frees_nothing_it_did_not_take():
    queue = FairQueue(1)
    [running] = join(queue, 1)
    waiting = join(queue, 2) + join(queue, 3)
    queue.leave(waiting[0])
    assert list(queue.running) == [running] and not waiting[1].granted and waiting[1].position == 1
    queue.leave(waiting[0])  # twice: still nothing
    queue.release(running)
    queue.release(running)  # a second release gives nothing back twice
    assert list(queue.running) == [waiting[1]]
    queue.leave(waiting[1])  # granted, then cancelled before it ran: the slot comes back
    assert not queue.running and queue.waiting == 0


def test_a_resumed_job_goes_before_the_rotation():
    queue = FairQueue(1)
    join(queue, 1, 3)
    [resumed] = join(queue, 2, resumed=True)
    assert resumed.position == 1
    queue.release(next(iter(queue.running)))
    assert resumed.granted


def test_a_grant_hands_the_slot_over_inside_release_and_wakes_the_job():
    queue = FairQueue(1)
    [first, second] = join(queue, 1, 2)
    second.wake.clear()
    queue.release(first, completed=True)
    assert second.granted and second.wake.is_set() and second.position is None


def test_estimates_come_from_measured_times():
    clock = Clock()
    queue = FairQueue(2, clock=clock)
    running = join(queue, 1, 2)
    waiting = join(queue, 2, 4)
    assert queue.eta(waiting[0]) is None  # nothing measured yet
    queue.times.record("m", 10.0)
    clock.now = 6.0
    queue.release(running[0], completed=False)  # a failure is not a measurement
    assert queue.times.typical("m") == 10.0
    # running: waiting[0] from t=6 (10 s left), running[1] from t=0 (4 s left)
    # waiting: positions 1..3 -> slots free at 4, 10, then one service time later each
    assert [queue.eta(t) for t in waiting[1:]] == [4.0, 10.0, 14.0]
    clock.now = 20.0  # both overdue: a slot may free any moment
    assert queue.eta(waiting[1]) == 0.0


def test_service_times_are_the_median_of_the_newest_samples():
    times = ServiceTimes(samples=3)
    assert times.typical("m") is None
    for seconds in (100.0, 10.0, 12.0, 11.0):
        times.record("m", seconds)
    assert times.typical("m") == 11.0  # 100 s fell out; one outlier never rules
    times.seed({"m": [1.0, 2.0], "other": [5.0]})
    assert times.typical("m") == 11.0 and times.typical("other") == 5.0  # newer measurements win


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                     (13, "13th"), (21, "21st"), (22, "22nd"), (101, "101st"), (111, "111th")])
def test_english_ordinals(n, text):
    assert ordinal(n) == text


def test_the_engines_detail_names_position_and_estimate():
    assert in_line_detail(3, 37.0) == "3rd in line, about 40 s"
    assert in_line_detail(1, None) == "1st in line"
    assert [about(s) for s in (0, 4, 55, 56, 150, 3600 * 2)] == ["5 s", "5 s", "55 s", "1 min", "2 min", "2 h"]


@pytest.mark.parametrize("value, error", [("2", None), ("0", None), ("-1", "must not be negative"),
                                          ("'two'", "must be an integer"), ("1.5", "must be an integer")])
def test_the_per_user_limit_setting(write_config, value, error):
    from higgsctl.engine import ConfigError, load_settings

    path = write_config(f"[higgsfield]\nmax_running_per_user = {value}\n")
    if error is None:
        assert load_settings(path).higgsfield.max_running_per_user == int(value)
    else:
        with pytest.raises(ConfigError, match=f"max_running_per_user {error}"):
            load_settings(path)
