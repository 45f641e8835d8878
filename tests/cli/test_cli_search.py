"""`users list --search` and `history -q` fold case in any script and take the text literally."""

import uuid


def test_users_list_search_any_script_and_last_name(cli, engine):
    engine.users.register(1001, username="olga_k", first_name="Ольга", last_name="Кузнецова")
    engine.users.register(1002, username="bob", first_name="Bob", last_name="Ångström")
    engine.users.register(1003, username="x_50", first_name="50% off")
    for search, expected in [("ОЛЬГА", [1001]), ("кузнецова", [1001]), ("ÅNGSTRÖM", [1002]), ("ångström", [1002]),
                             ("50%", [1003]), ("_5", [1003]), ("%", [1003]), ("зzz", [])]:
        result = cli("users", "list", "--search", search, "--json")
        assert result.exit_code == 0, result.stderr
        assert (search, [r["id"] for r in result.json()]) == (search, expected)


def test_history_query_any_script_and_literal(cli, engine):
    engine.users.operator()
    ids = {prompt: engine.credits.hold(0, 1, model="nano-banana", prompt=prompt, aspect_ratio="1:1",
                                       idempotency_key=uuid.uuid4().hex).id
           for prompt in ["Рыжая ЛИСА в снегу", "ΣΟΦΊΑ at the sea", "100% cotton", "1000 cotton", "a_b", "axb"]}
    for query, expected in [("лиса", ["Рыжая ЛИСА в снегу"]), ("РЫЖАЯ", ["Рыжая ЛИСА в снегу"]),
                            ("σοφία", ["ΣΟΦΊΑ at the sea"]), ("0%", ["100% cotton"]), ("a_b", ["a_b"])]:
        result = cli("history", "-q", query, "--json")
        assert result.exit_code == 0, result.stderr
        assert [g["id"] for g in result.json()] == [ids[p] for p in expected], query
