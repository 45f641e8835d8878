"""How a job ends, as the user reads it: the status message's last line once the outcome
went as its own message, the outcome's buttons, and a batch (several images of one request):
its progress, its albums' caption, and the siblings that could not be made. The outcome
message itself is core's ``st_<status>[_<code>]`` (what happened, the credits back, the balance)."""

EN = {
    # the status message, tidied once the outcome arrived as a new message (no buttons left)
    "tidy_failed": "❌ Generation #{id} failed; details below.",
    "tidy_nsfw": "🚫 Generation #{id} was blocked; details below.",
    "tidy_timed_out": "⌛ Generation #{id} was stopped; details below.",
    "tidy_canceled": "✖ Generation #{id} was cancelled; details below.",
    "b_try_again": "🔁 Try again · {price} credits",
    "b_change_prompt": "✏️ Change prompt",
    # a batch
    "batch_progress": "🖼 {count} images #{first}–#{last}: {ready} of {count} ready…",
    "batch_done": "✅ Generations #{first}–#{last}: {ready} of {count} images are above.",
    "batch_none": "❌ Generations #{first}–#{last}: no image could be made; details below.",
    "batch_failed": "{failed} of {count} images could not be made:\n{lines}\nNothing was charged for them: "
                    "{refund} credits are back. Balance: {balance}.",
    "why_failed": "#{id}: failed on the image service's side",
    "why_nsfw": "#{id}: blocked by the content filter",
    "why_timed_out": "#{id}: took too long",
    "why_canceled": "#{id}: cancelled",
}

RU = {
    "tidy_failed": "❌ Генерация #{id} не удалась; подробности ниже.",
    "tidy_nsfw": "🚫 Генерация #{id} заблокирована; подробности ниже.",
    "tidy_timed_out": "⌛ Генерация #{id} остановлена; подробности ниже.",
    "tidy_canceled": "✖ Генерация #{id} отменена; подробности ниже.",
    "b_try_again": "🔁 Ещё раз · {price} кр.",
    "b_change_prompt": "✏️ Другой промпт",
    "batch_progress": "🖼 {count} изображения #{first}–#{last}: готово {ready} из {count}…",
    "batch_done": "✅ Генерации #{first}–#{last}: {ready} из {count} изображений выше.",
    "batch_none": "❌ Генерации #{first}–#{last}: ни одно изображение не получилось; подробности ниже.",
    "batch_failed": "Не получилось изображений: {failed} из {count}:\n{lines}\nЗа них ничего не списано: "
                    "{refund} кр. вернулись. Баланс: {balance}.",
    "why_failed": "#{id}: сбой на стороне сервиса",
    "why_nsfw": "#{id}: заблокировано фильтром контента",
    "why_timed_out": "#{id}: слишком долго",
    "why_canceled": "#{id}: отменено",
}
