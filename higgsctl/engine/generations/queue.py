"""The account's submission slots, shared fairly between users.

Higgsfield runs ``[higgsfield] max_concurrent`` requests of an account at once. Jobs that
find every slot taken wait here, and users take turns (round-robin): a freed slot goes to
the waiting user **served least recently** (one who was never served, or not since their
jobs last ran out, counts as never), that user's oldest job first. A user with a burst of
forty images gets one slot turn, then every other waiting user gets theirs; a single image
never waits behind more than one turn of someone else's burst, and a user who just had
several slots waits behind everyone who had none. ``per_user`` (``[higgsfield]
max_running_per_user``, 0 = none) caps how many slots one user holds at once.

Everything here is synchronous and runs on the event loop: a freed slot is handed to the
next ticket inside ``release`` (no polling), and the ticket's job is woken through its
``wake`` event. Positions (1 = next to start, if nobody else came) are renumbered after
every change; a ticket whose position moved has its ``wake`` set, and its job emits it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Callable

from .service_times import ServiceTimes

NEVER = -1  # the turn of a user who was not served (since their jobs last ran out)


@dataclass(eq=False)
class Ticket:
    """One job's place: waiting (``position``), then granted a slot until released."""

    generation_id: int
    user_id: int
    model: str
    wake: asyncio.Event
    resumed: bool = False  # already submitted upstream (a restart): it goes first
    arrival: int = 0  # order of joining (among users not served yet: first come, first served)
    position: int | None = None
    granted_at: float | None = None  # clock time the slot was handed over
    released: bool = False

    @property
    def granted(self) -> bool:
        return self.granted_at is not None


@dataclass
class FairQueue:
    capacity: int
    per_user: int = 0  # 0: no limit
    times: ServiceTimes = field(default_factory=ServiceTimes)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.running: dict[Ticket, None] = {}  # granted and not released, in grant order
        self.running_per_user: Counter[int] = Counter()
        self.resumed: deque[Ticket] = deque()  # served before everyone else
        self.lines: dict[int, deque[Ticket]] = {}  # user -> waiting tickets, oldest first
        self.served: dict[int, int] = {}  # user -> the turn they were last served in
        self._arrivals = itertools.count()
        self._next_turn = 0

    # --- a job's way through -------------------------------------------------------------

    def join(self, generation_id: int, user_id: int, model: str, wake: asyncio.Event, *,
             resumed: bool = False) -> Ticket:
        """Take a place (granted at once if a slot is free and nobody is ahead)."""
        ticket = Ticket(generation_id, user_id, model, wake, resumed, next(self._arrivals))
        if resumed:
            self.resumed.append(ticket)
        else:
            self.lines.setdefault(user_id, deque()).append(ticket)
        self._dispatch()
        return ticket

    def release(self, ticket: Ticket, *, completed: bool = False) -> None:
        """Give the slot back (once) and hand it to the next ticket at once. ``completed``: the
        request finished upstream, so its slot time is a measured service time."""
        if not ticket.granted or ticket.released:
            return
        ticket.released = True
        del self.running[ticket]
        self.running_per_user[ticket.user_id] -= 1
        if completed and not ticket.resumed:
            self.times.record(ticket.model, self.clock() - ticket.granted_at)
        self._forget_if_idle(ticket.user_id)
        self._dispatch()

    def leave(self, ticket: Ticket) -> None:
        """A cancelled job's exit: give back a slot it was granted, or step out of line."""
        if ticket.granted:
            self.release(ticket)
            return
        line = self.resumed if ticket.resumed else self.lines.get(ticket.user_id)
        if line is not None and ticket in line:
            line.remove(ticket)
            if not line and line is not self.resumed:
                del self.lines[ticket.user_id]
        ticket.position = None
        self._forget_if_idle(ticket.user_id)
        self._dispatch()

    def resize(self, capacity: int) -> None:
        """Change the number of slots (tests; a plan change)."""
        self.capacity = capacity
        self._dispatch()

    # --- what waits, and for how long -----------------------------------------------------

    @property
    def waiting(self) -> int:
        return len(self.resumed) + sum(len(line) for line in self.lines.values())

    def order(self) -> list[Ticket]:
        """The waiting tickets in the order they would start if nobody else came (and no
        per-user limit held anyone back): resumed jobs, then users by turn."""
        heap = [(self._turn(user), line[0].arrival, user, 0) for user, line in self.lines.items()]
        heapq.heapify(heap)
        order, turn = list(self.resumed), itertools.count(self._next_turn)
        while heap:
            _, _, user, index = heapq.heappop(heap)
            line = self.lines[user]
            order.append(line[index])
            if index + 1 < len(line):
                heapq.heappush(heap, (next(turn), line[index + 1].arrival, user, index + 1))
        return order

    def eta(self, ticket: Ticket) -> float | None:
        """Estimated seconds until ``ticket`` starts, from the measured service times: the
        running jobs' remaining times say when each slot frees, then every later round of
        ``capacity`` starts takes one typical service time. None until something was measured."""
        typical = self.times.typical(ticket.model)
        if typical is None or ticket.position is None or self.capacity < 1:
            return None
        now = self.clock()
        remaining = sorted(max(0.0, (self.times.typical(r.model) or typical) - (now - r.granted_at))
                           for r in self.running)[: self.capacity]
        remaining += [0.0] * (self.capacity - len(remaining))
        ahead = ticket.position - 1
        return remaining[ahead % self.capacity] + (ahead // self.capacity) * typical

    # --- handing out slots -----------------------------------------------------------------

    def _turn(self, user: int) -> int:
        return self.served.get(user, NEVER)

    def _dispatch(self) -> None:
        while len(self.running) < self.capacity:
            ticket = self._next()
            if ticket is None:
                break
            ticket.granted_at = self.clock()
            ticket.position = None
            self.running[ticket] = None
            self.running_per_user[ticket.user_id] += 1
            self.served[ticket.user_id] = self._next_turn
            self._next_turn += 1
            ticket.wake.set()
        self._renumber()

    def _next(self) -> Ticket | None:
        if self.resumed:  # already upstream: they hold an account slot there whatever we do
            return self.resumed.popleft()
        eligible = [(self._turn(user), line[0].arrival, user) for user, line in self.lines.items()
                    if not self.per_user or self.running_per_user[user] < self.per_user]
        if not eligible:
            return None
        _, _, user = min(eligible)
        line = self.lines[user]
        ticket = line.popleft()
        if not line:
            del self.lines[user]
        return ticket

    def _forget_if_idle(self, user: int) -> None:
        """A user with nothing running or waiting starts afresh (and the table stays small)."""
        if not self.running_per_user[user] and user not in self.lines:
            self.running_per_user.pop(user, None)
            self.served.pop(user, None)

    def _renumber(self) -> None:
        for position, ticket in enumerate(self.order(), 1):
            if ticket.position != position:
                ticket.position = position
                ticket.wake.set()


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st... (English: the engine's detail is for operators)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def in_line_detail(position: int, eta: float | None) -> str:
    """The English detail of an IN_LINE event: "3rd in line, about 40 s"."""
    return f"{ordinal(position)} in line" + ("" if eta is None else f", about {about(eta)}")


def about(seconds: float) -> str:
    """A rounded duration in English: "40 s", "3 min", "2 h"."""
    amount, unit = rounded_duration(seconds)
    return f"{amount} {unit}"


def rounded_duration(seconds: float) -> tuple[int, str]:
    """An estimate as faces show it: 5 s steps up to 55 s, then minutes, then hours
    (unit "s", "min" or "h")."""
    if seconds <= 55:
        return max(5, 5 * math.ceil(seconds / 5)), "s"
    if seconds < 3570:
        return max(1, round(seconds / 60)), "min"
    return round(seconds / 3600), "h"
