"""Alerts for admins, on SQLite and PostgreSQL: each condition found, said once per period
(even by two processes at once), with what to do."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from higgsctl.engine.alerts import Alerts
from higgsctl.engine.config import AlertSettings
from higgsctl.engine.models import AlertSent, Generation, TopUpRequest, utcnow


def finished(engine, status, error_code=None, user_id=1):
    g = engine.generations.rows.hold(user_id, 1, model="nano-banana", prompt="p", aspect_ratio="1:1")
    engine.generations.finish(g.id, status, error_code=error_code)


def test_a_rejected_key_is_said_once_per_period_with_what_to_do(any_engine):
    e = any_engine
    e.users.register(1)
    assert e.alerts.due() == []
    finished(e, "failed", "service_auth")
    [alert] = e.alerts.due()
    assert alert.kind == "account" and "api_key" in alert.text
    finished(e, "failed", "service_auth")
    assert e.alerts.due() == []  # said within the hour
    AlertSent.update(sent_at=utcnow() - timedelta(hours=2)).execute()
    Generation.update(finished_at=utcnow() - timedelta(hours=3)).execute()
    assert e.alerts.due() == []  # an hour on, but no new failure since it was said
    finished(e, "failed", "service_credits")
    [again] = e.alerts.due()
    assert "out of credits" in again.text


def test_failure_rate_over_the_last_window(any_engine):
    e = any_engine
    e.users.register(1)
    alerts = Alerts(AlertSettings(window=10, failure_rate=0.5))
    for _ in range(6):
        finished(e, "completed")
    for _ in range(4):
        finished(e, "failed", "upstream_failed")
    assert alerts.due() == []  # 4 of 10
    finished(e, "timed_out", "timed_out")
    [alert] = alerts.due()
    assert alert.kind == "failures" and alert.text.startswith("5 of the last 10 generations failed")


def test_a_waiting_topup_and_the_switch(any_engine):
    e = any_engine
    e.users.register(1)
    topup = e.topups.request(1)
    assert e.alerts.due() == []
    TopUpRequest.update(created_at=utcnow() - timedelta(minutes=45)).execute()
    [alert] = e.alerts.due()
    assert f"#{topup.id} has waited 45 min" in alert.text
    AlertSent.delete().execute()
    assert Alerts(AlertSettings(enabled=False)).due() == []


def test_two_processes_say_it_once(any_engine):
    any_engine.users.register(1)
    finished(any_engine, "failed", "service_auth")
    with ThreadPoolExecutor(4) as pool:
        said = list(pool.map(lambda _: Alerts(AlertSettings()).due(), range(4)))
    assert sorted(len(s) for s in said) == [0, 0, 0, 1]


def test_a_restart_with_resumed_jobs(any_engine):
    assert any_engine.alerts.restarted(0) is None
    assert "resumed 3 unfinished" in any_engine.alerts.restarted(3).text
    assert any_engine.alerts.restarted(2) is None  # within the hour
