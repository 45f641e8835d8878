"""Admin actions users hear about: a rejected top-up's reason, refunds and resends (engine
error codes of engine/generations/rows.py)."""

from __future__ import annotations

EN = {
    "topup_rejected_reason": "Your top-up request #{id} was rejected: {reason}\nBalance: {balance}.",
    "err_refund_already": "This generation was already refunded.",
    "err_refund_refused": "Only a completed, charged generation can be refunded.",
    "err_resend_refused": "This result can't be sent again now.",
}

RU = {
    "topup_rejected_reason": "Запрос #{id} на пополнение отклонён: {reason}\nБаланс: {balance}.",
    "err_refund_already": "За эту генерацию кредиты уже возвращены.",
    "err_refund_refused": "Вернуть кредиты можно только за завершённую оплаченную генерацию.",
    "err_resend_refused": "Этот результат сейчас нельзя отправить повторно.",
}
