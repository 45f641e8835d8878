"""Promo codes: /promo CODE and t.me/<bot>?start=promo-CODE."""

from __future__ import annotations

EN = {
    "promo_usage": "Send /promo followed by your code, like /promo SPRING25.",
    "promo_redeemed": "🎁 Code {code}: +{credits} credits. Balance: {balance}.",
    "err_promo_malformed": "That doesn't look like a promo code: codes are 3 to 32 letters, digits, - or _.",
    "err_promo_unknown": "There is no promo code {promo}. Check the spelling.",
    "err_promo_already": "You have already used the code {promo}.",
    "err_promo_disabled": "The code {promo} is no longer valid.",
    "err_promo_expired": "The code {promo} has expired.",
    "err_promo_used_up": "The code {promo} has been used up.",
    "promo_slow_down": "Too many codes that don't exist. Try again in {minutes} min.",
}

RU = {
    "promo_usage": "Отправьте /promo и ваш код, например /promo SPRING25.",
    "promo_redeemed": "🎁 Код {code}: +{credits} кредитов. Баланс: {balance}.",
    "err_promo_malformed": "Это не похоже на промокод: код — от 3 до 32 латинских букв, цифр, - или _.",
    "err_promo_unknown": "Промокода {promo} нет. Проверьте написание.",
    "err_promo_already": "Вы уже использовали код {promo}.",
    "err_promo_disabled": "Код {promo} больше не действует.",
    "err_promo_expired": "Срок действия кода {promo} истёк.",
    "err_promo_used_up": "Код {promo} уже исчерпан.",
    "promo_slow_down": "Слишком много несуществующих кодов. Попробуйте снова через {minutes} мин.",
}
