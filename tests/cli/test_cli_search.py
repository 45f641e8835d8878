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
    ids = {prompt: engine.generations.rows.hold(0, 1, model="nano-banana", prompt=prompt, aspect_ratio="1:1",
                                       idempotency_key=uuid.uuid4().hex).id
           for prompt in ["Рыжая ЛИСА в снегу", "ΣΟΦΊΑ at the sea", "100% cotton", "1000 cotton", "a_b", "axb"]}
    for query, expected in [("лиса", ["Рыжая ЛИСА в снегу"]), ("РЫЖАЯ", ["Рыжая ЛИСА в снегу"]),
                            ("σοφία", ["ΣΟΦΊΑ at the sea"]), ("0%", ["100% cotton"]), ("a_b", ["a_b"])]:
        result = cli("history", "-q", query, "--json")
        assert result.exit_code == 0, result.stderr
        assert [g["id"] for g in result.json()] == [ids[p] for p in expected], query


# Numbers that are not a Telegram id in ASCII digits: superscripts and fractions (isdigit()
# but int() refuses them), other scripts' digits (int() reads "٣" as 3), and past a BIGINT.
NOT_IDS = ["²", "³³", "①", "٣", "३", "１２３", "𝟑", "99999999999999999999", "9223372036854775808",
           "-9223372036854775808"]


def test_a_number_that_is_not_an_ascii_id_is_searched_as_text_and_never_resolves(cli, engine):
    for uid in (3, 123, 33):  # the ids a lax reading would find
        engine.users.register(uid, first_name="Anna")
    engine.users.register(1004, first_name="Mc²", last_name="١٢٣")  # NFKC: found as "mc2"
    for text in NOT_IDS:
        result = cli("users", "list", "--search", text, "--json")
        assert result.exit_code == 0, (text, result.stderr)
        expected = {"²": [1004], "٣": [1004]}.get(text, [])
        assert [r["id"] for r in result.json()] == expected, text
        for command in (["users", "show", "--", text], ["credits", "grant", "--", text, "5"]):
            result = cli(*command)
            assert result.exit_code == 2 and "neither a Telegram id" in result.stderr, (command, result.stderr)
    assert engine.credits.discrepancies() == [] and engine.credits.balance(3) == 10000
