"""Texts of buying credits with Telegram Stars, refunds and /paysupport; see __init__.py.
Pre-checkout declines (``checkout_*``) are shown by Telegram on the payment form."""

from __future__ import annotations

EN = {
    "b_buy": "⭐ Buy credits",
    "b_pack": "{label}: {credits} credits · {stars} ⭐",
    "buy_head": "Buy credits with Telegram Stars. Your balance: {balance} credits.\nChoose a pack:",
    "buy_off": "Buying credits is switched off in this bot.",
    "topup_off": "Top-up requests are switched off in this bot.",
    "pack_changed": "That pack has changed or is no longer sold. Here are the current packs:",
    "invoice_title": "{credits} credits",
    "invoice_description": "{label} pack: {credits} credits for image generation in this bot. "
                           "Failed generations cost nothing. Terms: /terms",
    "invoice_price": "{credits} credits",
    "checkout_stars_off": "Payments are switched off in this bot right now; you were not charged.",
    "checkout_pack_gone": "This pack is no longer sold; you were not charged. Use /buy to see the current packs.",
    "checkout_pack_changed": "This pack's price has changed; you were not charged. Use /buy to see the current price.",
    "checkout_not_yours": "This invoice was made for another account; you were not charged. Use /buy.",
    "checkout_blocked": "Your account is blocked, so this payment can't be accepted; you were not charged.",
    "receipt": "✅ Payment received: {stars} ⭐ → +{credits} credits. Balance: {balance}.\n"
               "Payment #{id}. For a refund of unspent credits use /paysupport.",
    "receipt_unknown": "Payment received ({stars} ⭐), but I could not tell which pack it was for. "
                       "An admin will sort it out; use /paysupport to get in touch.",
    "refunded_you": "↩ Payment #{id} was refunded: {stars} ⭐ returned, {credits} credits taken back. Balance: {balance}.",
    "refunded_you_short": "↩ Payment #{id} was refunded: {stars} ⭐ returned. {taken} of its {credits} credits were "
                          "taken back (the rest had been spent). Balance: {balance}.",
    "paysupport_none": "You have no payment from the last 30 days with credits that can be refunded.",
    "paysupport_pick": "Your recent payments:",
    "b_payment": "#{id} · {date} · {stars} ⭐ → {credits} cr",
    "refund_asked": "Refund request for payment #{id} sent to the admins. I'll tell you when they decide.",
    "refund_asked_already": "Payment #{id} already has a refund request, or it can no longer be refunded.",
    "refund_declined_you": "Your refund request for payment #{id} was declined. Use /paysupport to ask again.",
    # engine errors of refunds (HiggsctlError.code)
    "err_refund_spent": "These credits were spent already ({balance} left of {credits}), so the payment can't be refunded.",
    "err_refund_failed": "Telegram refused the refund; the credits were given back.",
    "err_refund_pending": "The refund is on its way; it will be finished shortly.",
    "err_payment_refund_already": "This payment is already refunded or being refunded.",
}

RU = {
    "b_buy": "⭐ Купить кредиты",
    "b_pack": "{label}: {credits} кр. · {stars} ⭐",
    "buy_head": "Покупка кредитов за Telegram Stars. Ваш баланс: {balance} кр.\nВыберите пакет:",
    "buy_off": "Покупка кредитов в этом боте отключена.",
    "topup_off": "Запросы на пополнение в этом боте отключены.",
    "pack_changed": "Этот пакет изменился или больше не продаётся. Вот текущие пакеты:",
    "invoice_title": "{credits} кредитов",
    "invoice_description": "Пакет «{label}»: {credits} кредитов на генерацию картинок в этом боте. "
                           "Неудачные генерации бесплатны. Условия: /terms",
    "invoice_price": "{credits} кредитов",
    "checkout_stars_off": "Оплата в этом боте сейчас отключена; деньги не списаны.",
    "checkout_pack_gone": "Этот пакет больше не продаётся; деньги не списаны. /buy покажет текущие пакеты.",
    "checkout_pack_changed": "Цена пакета изменилась; деньги не списаны. /buy покажет текущую цену.",
    "checkout_not_yours": "Этот счёт выставлен другому аккаунту; деньги не списаны. Используйте /buy.",
    "checkout_blocked": "Ваш аккаунт заблокирован, поэтому платёж не принят; деньги не списаны.",
    "receipt": "✅ Оплата получена: {stars} ⭐ → +{credits} кр. Баланс: {balance}.\n"
               "Платёж #{id}. Вернуть неизрасходованные кредиты: /paysupport.",
    "receipt_unknown": "Оплата получена ({stars} ⭐), но я не понял, за какой пакет. "
                       "Администратор разберётся; связаться: /paysupport.",
    "refunded_you": "↩ Платёж #{id} возвращён: {stars} ⭐ вернулись к вам, {credits} кр. списаны. Баланс: {balance}.",
    "refunded_you_short": "↩ Платёж #{id} возвращён: {stars} ⭐ вернулись к вам. Списано {taken} из {credits} кр. "
                          "(остальные уже потрачены). Баланс: {balance}.",
    "paysupport_none": "За последние 30 дней нет платежей с кредитами, которые можно вернуть.",
    "paysupport_pick": "Ваши последние платежи:",
    "b_payment": "#{id} · {date} · {stars} ⭐ → {credits} кр.",
    "refund_asked": "Запрос на возврат платежа #{id} отправлен администраторам. Сообщу, когда решат.",
    "refund_asked_already": "По платежу #{id} уже есть запрос на возврат, или его больше нельзя вернуть.",
    "refund_declined_you": "Запрос на возврат платежа #{id} отклонён. Написать снова: /paysupport.",
    "err_refund_spent": "Эти кредиты уже потрачены (осталось {balance} из {credits}), поэтому платёж вернуть нельзя.",
    "err_refund_failed": "Telegram отказал в возврате; кредиты возвращены на баланс.",
    "err_refund_pending": "Возврат в пути; он скоро завершится.",
    "err_payment_refund_already": "Этот платёж уже возвращён или возвращается.",
}

# Admin texts (English only, like core.ADMIN).
ADMIN = {
    "refund_request": "Refund request: {user} (id {user_id}) asks to refund payment #{id} ({charge}): "
                      "{stars} ⭐ → {credits} credits on {date}. Balance: {balance}.",
    "refund_done": "Refunded payment #{id} ({charge}) of {user}: {stars} ⭐ returned, {credits} credits taken back. "
                   "Balance: {balance}.",
    "refund_declined": "Refund request for payment #{id} declined by {actor}.",
    "refund_decided": "The refund request for payment #{id} was already decided.",
    "refund_error": "Refund of {charge} not done: {message}",
    "usage_refund": "Usage: /refund CHARGE_ID reason (the charge id is in `higgsctl payments list`).",
}
