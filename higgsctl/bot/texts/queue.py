"""A waiting job's place in the fair queue, on its status message (bot/progress.py builds it).

``{place}`` is ``place(lang, n)``: an English ordinal (3rd) in English; in Russian the bare
number, the template writes its ending (``{place}-я`` for the generation, ``{place}-го`` for
the place). ``{eta}`` is one of the q_eta texts, or empty."""

from __future__ import annotations

from higgsctl.engine.generations.queue import ordinal


def place(lang: str, n: int) -> str:
    return str(n) if lang == "ru" else ordinal(n)


EN = {
    "q_exact": "⏳ Generation #{id} is {place} in line{eta}.",
    "q_within": "⏳ Generation #{id} is in line, no further back than {place}{eta}.",
    "q_beyond": "⏳ Generation #{id} is in line, further back than {place}{eta}.",
    "q_eta_s": ", about {n} s",
    "q_eta_min": ", about {n} min",
    "q_eta_h": ", about {n} h",
}

RU = {
    "q_exact": "⏳ Генерация #{id}: {place}-я в очереди{eta}.",
    "q_within": "⏳ Генерация #{id} в очереди, не дальше {place}-го места{eta}.",
    "q_beyond": "⏳ Генерация #{id} в очереди, дальше {place}-го места{eta}.",
    "q_eta_s": ", примерно {n} с",
    "q_eta_min": ", примерно {n} мин",
    "q_eta_h": ", примерно {n} ч",
}
