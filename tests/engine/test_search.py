"""Search is case-insensitive in every script, literal (no wildcards), and covers id,
username, first and last name (users) and the prompt (history), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from higgsctl.engine import HistoryFilter

# (text as stored, a search that must find it): every class of case folding we promise
FOLDING = [
    ("Анна", "АННА"), ("Анна", "анна"), ("Анна", "аНн"),  # Cyrillic
    ("Ёжик", "ёЖИК"), ("Юлия", "ЮЛ"), ("Ґанна", "ґАННА"),  # ё, Ukrainian ґ
    ("Élodie", "éLODIE"), ("Élodie", "ÉLODIE"), ("Łukasz", "łUKASZ"), ("Øystein", "øYSTEIN"),  # diacritics
    ("Jose\u0301", "JOSÉ"), ("JOSÉ", "jose\u0301"),  # decomposed vs composed accents
    ("Οδυσσεύς", "ΟΔΥΣΣΕΎΣ"), ("ΟΔΥΣΣΕΎΣ", "οδυσσεύς"),  # Greek, final sigma
    ("Straße", "STRASSE"), ("Straße", "strasse"), ("STRAẞE", "straße"), ("Strasse", "ß"),  # German
    ("İstanbul", "istanbul"), ("İstanbul", "ISTANBUL"), ("Istanbul", "ıstanbul"), ("Işık", "IŞIK"),  # Turkish
    ("Արամ", "ԱՐԱՄ"), ("Ⴀⴀ", "ⴀⴀ"),  # Armenian, Georgian
    ("ＡＢＣ", "abc"), ("ﬁne", "FINE"),  # full-width and ligatures (NFKC)
    ("alice", "ALICE"),  # plain ASCII still works
]

# searches whose characters must be taken literally: (stored texts, search, which must match)
LITERAL = [
    (["50% off", "500 off", "5 0"], "50%", {"50% off"}),
    (["100%", "1000"], "%", {"100%"}),
    (["a_c", "abc"], "a_c", {"a_c"}),
    (["a_c", "abc"], "_", {"a_c"}),
    (["back\\slash", "backslash"], "\\", {"back\\slash"}),
    (["it's", "its"], "'", {"it's"}),
    (["[x]", "x"], "[x]", {"[x]"}),
]


def _hold(engine, user_id, prompt):
    return engine.generations.rows.hold(user_id, 1, model="nano-banana", prompt=prompt, aspect_ratio="1:1",
                               idempotency_key=uuid.uuid4().hex).id


def _user_ids(engine, search):
    found = {row.user.id for row in engine.users.list(search=search, limit=10_000)}
    assert engine.users.count(search) == len(found)
    return found


def _prompt_ids(engine, text):
    found = {g.id for g in engine.history.list(HistoryFilter(text=text, limit=10_000))}
    assert engine.history.count(HistoryFilter(text=text)) == len(found)
    return found


def test_user_search_folds_case_in_every_script(any_engine):
    engine = any_engine
    ids = {}
    for n, (stored, _) in enumerate(FOLDING):
        if stored not in ids:
            ids[stored] = 5000 + n
            # the name sits in a different field each time: first, last, username
            field = ("first_name", "last_name", "username")[n % 3]
            names = {"first_name": "x", field: stored}
            engine.users.register(ids[stored], **names)
    engine.users.register(9999, first_name="Zed")  # matches none of the searches
    misses = [(stored, search) for stored, search in FOLDING if ids[stored] not in _user_ids(engine, search)]
    assert misses == []
    assert 9999 not in set().union(*(_user_ids(engine, search) for _, search in FOLDING))


def test_history_search_folds_case_in_every_script(any_engine):
    engine = any_engine
    engine.users.register(1)
    ids = {stored: _hold(engine, 1, f"a picture of {stored} at night") for stored in dict(FOLDING)}
    other = _hold(engine, 1, "zzz")
    misses = [(stored, search) for stored, search in FOLDING if ids[stored] not in _prompt_ids(engine, search)]
    assert misses == []
    assert other not in set().union(*(_prompt_ids(engine, search) for _, search in FOLDING))


def test_search_characters_are_literal(any_engine):
    engine = any_engine
    engine.users.register(1)
    for case, (texts, search, expected) in enumerate(LITERAL):
        users = {10_000 + 10 * case + i: text for i, text in enumerate(texts)}
        for uid, text in users.items():
            engine.users.register(uid, first_name="n", last_name=text)
        prompts = {_hold(engine, 1, text): text for text in texts}
        assert {users[uid] for uid in _user_ids(engine, search) if uid in users} == expected, search
        assert {prompts[gid] for gid in _prompt_ids(engine, search) if gid in prompts} == expected, search


def test_user_search_covers_id_username_first_and_last_name(any_engine):
    engine = any_engine
    engine.users.register(123456, username="Ivan_P", first_name="Иван", last_name="Петров")
    engine.users.register(654321, username="maria", first_name="Мария", last_name=None)
    for search in ("123456", "@ivan_p", "IVAN_P", "иван", "ПЕТРОВ", "иван петров", "  @Ivan_P  "):
        assert _user_ids(engine, search) == {123456}, search
    assert _user_ids(engine, "мария") == {654321}
    assert _user_ids(engine, "") == _user_ids(engine, None) == {123456, 654321}
    # a changed last name is searchable at once (it used to be ignored on re-registration)
    engine.users.register(654321, username="maria", first_name="Мария", last_name="Сидорова")
    assert _user_ids(engine, "СИДОРОВА") == {654321}
    engine.users.register(123456, username=None, first_name="Иван", last_name="Петров")
    assert _user_ids(engine, "ivan_p") == set()


def test_rows_written_before_the_migration_become_searchable(database_url):
    """Migration 0005 fills the folded copies of rows that existed before it."""
    from playhouse.db_url import connect

    from higgsctl.engine.db import migration_runner, open_database
    from higgsctl.engine.history import History
    from higgsctl.engine.models import database
    from higgsctl.engine.users import Users

    db = connect(database_url)
    database.initialize(db)
    migration_runner(db).up(target="0004_one_pending_topup")
    stored_texts = list(dict(FOLDING))
    for uid, stored in enumerate(stored_texts, start=1):
        db.execute_sql(
            'INSERT INTO "user" (id, username, first_name, last_name, language, balance, blocked, created_at, '
            f"last_seen_at) VALUES ({uid}, NULL, 'x', {db.param}, 'en', 10, FALSE, '2024-01-01', '2024-01-01')",
            (stored,))
        db.execute_sql(
            'INSERT INTO generation (user_id, model, prompt, aspect_ratio, "references", source, idempotency_key, '
            f"status, result_files, cost, charge, created_at) VALUES ({uid}, 'm', {db.param}, '1:1', '[]', 'cli', "
            f"'k{uid}', 'completed', '[]', 1, 'captured', '2024-01-01')", (stored,))
    db.close()
    db = open_database(database_url)
    try:
        users, history = Users(0), History()
        for uid, stored in enumerate(stored_texts, start=1):
            for search in [s for t, s in FOLDING if t == stored]:
                assert uid in {row.user.id for row in users.list(search=search)}, (stored, search)
                assert uid in {g.user_id for g in history.list(HistoryFilter(text=search))}, (stored, search)
    finally:
        db.close()
