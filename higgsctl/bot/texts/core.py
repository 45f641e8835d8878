"""The bot's core texts (menus, wizard, statuses, errors) in every language; see __init__.py."""

from __future__ import annotations

EN = {
    # start, help, language
    "welcome": "Welcome, {name}! You have {balance} credits. Pick a model, describe the image, "
               "add reference photos if you like, and I'll generate it.",
    "welcome_back": "Welcome back, {name}! Balance: {balance} credits.",
    "menu": "What would you like to do?",
    "help": "How it works:\n"
            "• Just type what you want to see (or /imagine PROMPT): a card shows the model, aspect, "
            "number of images, style and the price; change what you like and press Generate.\n"
            "• Send a photo (or an album) with a caption to generate from it; reply to a result with "
            "text to edit that result.\n"
            "• Or step by step: Generate → model → prompt → photos → aspect → confirm.\n"
            "You get the picture as a photo and as the original file.\n\n"
            "Commands: /start menu, /balance, /buy credits, /topup (ask for {topup} credits), "
            "/promo CODE, /history, /settings (language, defaults, time zone), /cancel, /help.",
    "lang_choose": "Choose your language:",
    "lang_set": "Language: English.",
    "blocked": "Your account is blocked. Contact the bot's admin if you think this is a mistake.",
    "unknown_command": "I don't know that command. /help lists what I can do.",
    "unknown_input": "I didn't get that. Press a button below or use /help.",
    "expired": "This menu has expired, start again with /start.",
    "error": "Something went wrong on my side. Please try again; your credits are safe.",
    # buttons
    "b_generate": "🎨 Generate", "b_balance": "💰 Balance", "b_history": "🗂 History",
    "b_topup": "➕ Top up", "b_help": "❓ Help", "b_cancel": "✖ Cancel", "b_skip": "Skip ➡",
    "b_continue": "Continue ➡", "b_confirm": "✅ Generate for {price}", "b_regen": "🔁 Regenerate", "b_regen_price": "🔁 Regenerate · {price} credits",
    "b_other_aspect": "📐 Other aspect", "b_use_ref": "🖼 Use as reference", "b_approve": "✅ Approve",
    "b_reject": "❌ Reject", "b_prev": "‹ Newer", "b_next": "Older ›", "b_model": "{label} · {price} cr",
    # wizard
    "choose_model": "Choose a model (price per image):",
    "choose_model_with_ref": "The image is added as a reference. Choose a model (price per image):",
    "send_prompt": "{label}. Now send the prompt: describe the image you want.",
    "prompt_too_long": "The prompt is {length} characters long; the limit is {limit}. Please shorten it.",
    "prompt_empty": "Please describe the image in words.",
    "send_refs": "Send up to {max} reference photos (an album is fine), or press Skip.",
    "no_refs_model": "{label} takes no reference photos.",
    "refs_added": "📎 {added} photo(s) added: {count} of {max}. Send more, or press Continue.",
    "refs_too_many": "{label} takes at most {max} reference photos; this would make {total}. "
                     "I kept the {count} you had; send fewer.",
    "refs_late": "📎 {added} photo(s) not added: they arrived after that wizard had moved on from its photos.",
    "ref_too_big": "{name} is {size:.1f} MB; the limit is {limit} MB. Nothing was charged.",
    "ref_not_image": "{name} is not an image. Send a JPEG, PNG, WebP or GIF.",
    "ref_failed": "I couldn't download {name} from Telegram. Please send it again.",
    # reference checks by pixel count and decoding (engine codes reference_*; photos.REFUSALS)
    "ref_too_many_pixels": "{name} has too many pixels: the limit is {limit} megapixels. I left it out; "
                           "send a smaller version. Nothing was charged.",
    "ref_damaged": "{name} is damaged or incomplete, I can't read it. I left it out; please send it again.",
    "photo_unexpected": "I'm not waiting for photos right now. Press Generate to start.",
    "photo_need_prompt": "First send the prompt as text; reference photos come next.",
    "choose_aspect": "Choose the aspect ratio:",
    "confirm": "Model: {label}\nAspect: {aspect}\nReference photos: {refs}\nPrompt: {prompt}\n\n"
               "Price: {price} credits. Balance: {balance}.",
    "hint_model": "Choose a model with the buttons above, or /cancel.",
    "hint_refs": "Send reference photos, or press Skip/Continue above.",
    "hint_aspect": "Choose an aspect ratio with the buttons above, or /cancel.",
    "hint_confirm": "Press Generate above to start, or /cancel.",
    "wizard_left": "OK, cancelled. /start when you want to try again.",
    "nothing_to_cancel": "There is nothing to cancel.",
    "job_canceling": "Cancelling generation #{id}…",
    "job_not_cancelable": "Generation #{id} has already started and can no longer be cancelled. "
                          "If it fails, your credits come back.",
    "job_running": "Generation #{id} is being generated and can no longer be cancelled. "
                   "If it fails, your {cost} credits come back.",
    "not_enough": "Not enough credits: this costs {needed}, your balance is {balance}. "
                  "Use /topup to ask for more.",
    "rejected_input": "I can't start this: {reason} Nothing was charged.",
    "unavailable": "Image generation is unavailable right now; nothing was charged. Please try again later.",
    # job status
    "st_starting": "⏳ Starting a new generation like #{id}: {label} · {aspect}…",
    "st_pending": "⏳ Generation #{id} is starting…",
    "st_pending_wait": "⏳ Generation #{id} is waiting for a free slot…",
    "st_service_unreachable": "⏳ Generation #{id}: the image service is not answering right now; "
                              "I keep trying. Your credits are safe.",
    "st_download_retry": "📥 Generation #{id} is ready, but fetching it failed for now; I keep trying. "
                         "Your credits are charged only once it is saved.",
    "st_uploading": "📤 Generation #{id}: uploading your reference photos…",
    "st_queued": "⏳ Generation #{id} is queued…",
    "st_in_progress": "🎨 Generation #{id} is being generated…",
    "st_downloading": "📥 Generation #{id} is ready, sending it to you…",
    "st_completed": "✅ Generation #{id} is done.",
    "st_failed": "❌ Generation #{id} failed on the image service's side. Nothing was charged: "
                 "your {cost} credits are back. Balance: {balance}. Try again or change the prompt.",
    "st_nsfw": "🚫 Generation #{id} was blocked by the content filter. Nothing was charged: your "
               "{cost} credits are back. Balance: {balance}. Please change the prompt or the photos.",
    "st_timed_out": "⌛ Generation #{id} took too long and was stopped. Nothing was charged: your "
                    "{cost} credits are back. Balance: {balance}.",
    "st_canceled": "✖ Generation #{id} was cancelled. Your {cost} credits are back. Balance: {balance}.",
    "st_failed_service_credits": "❌ Generation #{id} couldn't start: the image service's account is out of "
                                 "credits (the bot owner's side). Nothing was charged: your {cost} credits are "
                                 "back. Balance: {balance}. Please try again later.",
    "st_failed_result_gone": "❌ The image of generation #{id} was deleted by the image service before it could "
                             "be saved. Nothing was charged: your {cost} credits are back. Balance: {balance}.",
    "st_timed_out_result_deadline": "⌛ The image of generation #{id} could not be saved in time. Nothing was "
                                    "charged: your {cost} credits are back. Balance: {balance}.",
    "result_caption": "{label} · {aspect} · #{id}\nCost: {cost} credits · Balance: {balance}",
    "original_caption": "Original file #{id}",
    "file_gone": "The file of generation #{id} is no longer stored.",
    "result_on_its_way": "Generation #{id} is finished and on its way to you.",
    "file_too_large": "The original is too large to send here ({size} MB); it is stored as generation #{id}.",
    "other_aspect": "Another aspect ratio for generation #{id}:",
    "not_yours": "This isn't available to you.",
    # account
    "balance": "Balance: {balance} credits. One image costs {price} credits.",
    "history_empty": "You have no generations yet. Press Generate to make one.",
    "history_head": "Your generations (page {page} of {pages}):",
    "history_item": "#{id} · {label} · {aspect} · {status} · {date}\n   {prompt}",
    "hs_completed": "done", "hs_failed": "failed", "hs_nsfw": "blocked", "hs_timed_out": "timed out",
    "hs_canceled": "cancelled", "hs_active": "in progress",
    # top-ups
    "topup_sent": "Request #{id} for {amount} credits sent to the admins. I'll tell you when they decide.",
    "topup_pending": "Your request #{id} is still waiting for an admin; one request at a time.",
    "topup_approved": "✅ Your top-up request #{id} was approved: +{amount} credits. Balance: {balance}.",
    "topup_rejected": "Your top-up request #{id} was rejected. Balance: {balance}.",
    "granted_you": "An admin added {amount} credits. Balance: {balance}.",
    # engine errors, by HiggsctlError.code (params as in the raise); see error_text()
    "err_error": "Something went wrong; nothing was charged.",
    "err_service_error": "The image service had a problem; nothing was charged.",
    "err_service_auth": "The image service refused the bot's key; nothing was charged.",
    "err_service_credits": "The image service's account is out of credits; nothing was charged. Please try later.",
    "err_service_rejected": "The image service refused this request; nothing was charged.",
    "err_service_busy": "The image service is busy right now; nothing was charged. Please try again shortly.",
    "err_service_not_found": "The image service no longer knows this request; nothing was charged.",
    "err_service_unavailable": "The image service had a problem; nothing was charged.",
    "err_service_rate_limited": "The image service is asking us to slow down; nothing was charged. Please try again shortly.",
    "err_service_unreachable": "The image service can't be reached right now; nothing was charged.",
    "err_service_timeout": "The image service took too long to answer; nothing was charged.",
    "err_config": "The bot is not set up correctly; nothing was charged. Please tell an admin.",
    "err_topup_decided": "This top-up request was already decided.",
    "err_already_held": "This press already started its generation; nothing was charged again.",
    "err_result_too_large": "The image is larger than this bot accepts; nothing was charged.",
    "err_invalid_input": "This request is not valid.",
    "err_invalid_amount": "An amount must be a positive whole number written with the digits 0-9.",
    "err_not_found": "That no longer exists.",
    "err_user_blocked": "Your account is blocked.",
    "err_topup_pending": "Your previous top-up request is still waiting for an admin.",
    "err_insufficient_credits": "Not enough credits: this costs {needed}, your balance is {balance}.",
    "err_prompt_empty": "The prompt is empty.",
    "err_prompt_too_long": "The prompt is {length} characters long; the limit is {limit}.",
    "err_unknown_model": "The model {model} is no longer offered.",
    "err_unknown_style": "The style {style} is no longer offered.",
    "err_option_invalid": "{model} does not offer {option}.",
    "err_count_invalid": "You can ask for 1 to {max} images at once.",
    "err_aspect_unsupported": "{model} does not offer the aspect ratio {aspect} (it offers {choices}).",
    "err_too_many_references": "{model} takes at most {max} reference photos; this has {count}.",
    "err_reference_missing": "The reference photo {name} is no longer stored.",
    "err_reference_too_big": "The reference photo {name} is {size:.1f} MB; the limit is {limit} MB.",
    "err_reference_not_image": "{name} is not an image.",
    "err_reference_unreadable": "The reference photo {name} can't be read.",
    "err_reference_damaged": "The reference photo {name} is damaged or incomplete.",
    "err_reference_too_many_pixels": "The reference photo {name} has too many pixels; the limit is {limit} megapixels.",
}

RU = {
    "welcome": "Добро пожаловать, {name}! У вас {balance} кр. Выберите модель, опишите картинку, "
               "при желании добавьте референсы — и я её сгенерирую.",
    "welcome_back": "С возвращением, {name}! Баланс: {balance} кр.",
    "menu": "Что будем делать?",
    "help": "Как это работает:\n"
            "• Просто напишите, что хотите увидеть (или /imagine ПРОМПТ): карточка покажет модель, формат, "
            "число картинок, стиль и цену; поменяйте что нужно и нажмите «Сгенерировать».\n"
            "• Отправьте фото (или альбом) с подписью — получите картинку по нему; ответьте текстом на "
            "результат — он будет изменён.\n"
            "• Или по шагам: Сгенерировать → модель → промпт → фото → формат → подтверждение.\n"
            "Результат придёт фото и оригинальным файлом.\n\n"
            "Команды: /start меню, /balance, /buy кредиты, /topup (запросить {topup} кр.), "
            "/promo КОД, /history, /settings (язык, умолчания, часовой пояс), /cancel, /help.",
    "lang_choose": "Выберите язык:",
    "lang_set": "Язык: русский.",
    "blocked": "Ваш аккаунт заблокирован. Если это ошибка, напишите администратору бота.",
    "unknown_command": "Такой команды нет. /help — что я умею.",
    "unknown_input": "Не понял. Нажмите кнопку ниже или /help.",
    "expired": "Это меню устарело, начните заново с /start.",
    "error": "У меня что-то пошло не так. Попробуйте ещё раз; ваши кредиты в сохранности.",
    "b_generate": "🎨 Сгенерировать", "b_balance": "💰 Баланс", "b_history": "🗂 История",
    "b_topup": "➕ Пополнить", "b_help": "❓ Помощь", "b_cancel": "✖ Отмена", "b_skip": "Пропустить ➡",
    "b_continue": "Дальше ➡", "b_confirm": "✅ Сгенерировать за {price}", "b_regen": "🔁 Ещё раз", "b_regen_price": "🔁 Ещё раз · {price} кр.",
    "b_other_aspect": "📐 Другой формат", "b_use_ref": "🖼 Как референс", "b_approve": "✅ Одобрить",
    "b_reject": "❌ Отклонить", "b_prev": "‹ Новее", "b_next": "Старее ›", "b_model": "{label} · {price} кр.",
    "choose_model": "Выберите модель (цена за картинку):",
    "choose_model_with_ref": "Картинка добавлена как референс. Выберите модель (цена за картинку):",
    "send_prompt": "{label}. Теперь отправьте промпт — опишите картинку.",
    "prompt_too_long": "В промпте {length} символов, максимум {limit}. Сократите, пожалуйста.",
    "prompt_empty": "Опишите картинку словами.",
    "send_refs": "Отправьте до {max} референсных фото (можно альбомом) или нажмите «Пропустить».",
    "no_refs_model": "{label} не принимает референсы.",
    "refs_added": "📎 Добавлено фото: {added}, всего {count} из {max}. Отправьте ещё или нажмите «Дальше».",
    "refs_too_many": "{label} принимает не больше {max} референсов, а получилось бы {total}. "
                     "Оставил прежние {count}; отправьте меньше.",
    "refs_late": "📎 Фото не добавлены ({added}): они пришли, когда этот мастер уже прошёл шаг с фото.",
    "ref_too_big": "{name}: {size:.1f} МБ, максимум {limit} МБ. Ничего не списано.",
    "ref_not_image": "{name} — не картинка. Отправьте JPEG, PNG, WebP или GIF.",
    "ref_failed": "Не удалось скачать {name} из Telegram. Отправьте ещё раз.",
    "ref_too_many_pixels": "{name}: слишком много пикселей, максимум {limit} мегапикселей. Этот файл я "
                           "не взял — пришлите уменьшенную версию. Ничего не списано.",
    "ref_damaged": "{name} повреждён или загружен не полностью, не могу его прочитать. Этот файл я не взял — "
                   "пришлите его ещё раз.",
    "photo_unexpected": "Сейчас я не жду фото. Нажмите «Сгенерировать», чтобы начать.",
    "photo_need_prompt": "Сначала отправьте промпт текстом, референсы — следующим шагом.",
    "choose_aspect": "Выберите соотношение сторон:",
    "confirm": "Модель: {label}\nФормат: {aspect}\nРеференсов: {refs}\nПромпт: {prompt}\n\n"
               "Цена: {price} кр. Баланс: {balance}.",
    "hint_model": "Выберите модель кнопкой выше или /cancel.",
    "hint_refs": "Отправьте референсы или нажмите «Пропустить»/«Дальше» выше.",
    "hint_aspect": "Выберите формат кнопкой выше или /cancel.",
    "hint_confirm": "Нажмите «Сгенерировать» выше или /cancel.",
    "wizard_left": "Отменено. /start — начать заново.",
    "nothing_to_cancel": "Отменять нечего.",
    "job_canceling": "Отменяю генерацию #{id}…",
    "job_not_cancelable": "Генерация #{id} уже идёт, отменить её больше нельзя. "
                          "Если она не удастся, кредиты вернутся.",
    "job_running": "Генерация #{id} уже рисуется, отменить её больше нельзя. "
                   "Если она не удастся, {cost} кр. вернутся.",
    "not_enough": "Недостаточно кредитов: нужно {needed}, на балансе {balance}. /topup — запросить пополнение.",
    "rejected_input": "Не могу запустить: {reason} Ничего не списано.",
    "unavailable": "Генерация сейчас недоступна; ничего не списано. Попробуйте позже.",
    "st_starting": "⏳ Запускаю новую генерацию по образцу #{id}: {label} · {aspect}…",
    "st_pending": "⏳ Генерация #{id} запускается…",
    "st_pending_wait": "⏳ Генерация #{id} ждёт свободный слот…",
    "st_service_unreachable": "⏳ Генерация #{id}: сервис картинок сейчас не отвечает, продолжаю попытки. "
                              "Ваши кредиты в сохранности.",
    "st_download_retry": "📥 Генерация #{id} готова, но скачать её пока не удалось; пробую ещё. "
                         "Кредиты спишутся, только когда картинка сохранится.",
    "st_uploading": "📤 Генерация #{id}: загружаю референсы…",
    "st_queued": "⏳ Генерация #{id} в очереди…",
    "st_in_progress": "🎨 Генерация #{id} рисуется…",
    "st_downloading": "📥 Генерация #{id} готова, отправляю…",
    "st_completed": "✅ Генерация #{id} готова.",
    "st_failed": "❌ Генерация #{id} не удалась на стороне сервиса. Ничего не списано: {cost} кр. "
                 "вернулись. Баланс: {balance}. Попробуйте ещё раз или измените промпт.",
    "st_nsfw": "🚫 Генерацию #{id} заблокировал фильтр контента. Ничего не списано: {cost} кр. "
               "вернулись. Баланс: {balance}. Измените промпт или фото.",
    "st_timed_out": "⌛ Генерация #{id} заняла слишком много времени и остановлена. Ничего не списано: "
                    "{cost} кр. вернулись. Баланс: {balance}.",
    "st_canceled": "✖ Генерация #{id} отменена. {cost} кр. вернулись. Баланс: {balance}.",
    "st_failed_service_credits": "❌ Генерация #{id} не запустилась: на счёте сервиса картинок закончились "
                                 "кредиты (это на стороне владельца бота). Ничего не списано: {cost} кр. "
                                 "вернулись. Баланс: {balance}. Попробуйте позже.",
    "st_failed_result_gone": "❌ Сервис картинок удалил картинку генерации #{id}, прежде чем её удалось "
                             "сохранить. Ничего не списано: {cost} кр. вернулись. Баланс: {balance}.",
    "st_timed_out_result_deadline": "⌛ Картинку генерации #{id} не удалось сохранить вовремя. Ничего не "
                                    "списано: {cost} кр. вернулись. Баланс: {balance}.",
    "result_caption": "{label} · {aspect} · #{id}\nСтоимость: {cost} кр. · Баланс: {balance}",
    "original_caption": "Оригинал #{id}",
    "file_gone": "Файл генерации #{id} больше не хранится.",
    "result_on_its_way": "Генерация #{id} готова и уже отправляется вам.",
    "file_too_large": "Оригинал слишком большой, чтобы отправить его сюда ({size} МБ); он сохранён как генерация #{id}.",
    "other_aspect": "Другой формат для генерации #{id}:",
    "not_yours": "Это вам недоступно.",
    "balance": "Баланс: {balance} кр. Одна картинка стоит {price} кр.",
    "history_empty": "Генераций пока нет. Нажмите «Сгенерировать».",
    "history_head": "Ваши генерации (стр. {page} из {pages}):",
    "history_item": "#{id} · {label} · {aspect} · {status} · {date}\n   {prompt}",
    "hs_completed": "готово", "hs_failed": "ошибка", "hs_nsfw": "заблокировано", "hs_timed_out": "таймаут",
    "hs_canceled": "отменено", "hs_active": "в работе",
    "topup_sent": "Запрос #{id} на {amount} кр. отправлен администраторам. Сообщу, когда решат.",
    "topup_pending": "Ваш запрос #{id} ещё ждёт решения; одновременно — только один запрос.",
    "topup_approved": "✅ Запрос #{id} одобрен: +{amount} кр. Баланс: {balance}.",
    "topup_rejected": "Запрос #{id} на пополнение отклонён. Баланс: {balance}.",
    "granted_you": "Администратор начислил {amount} кр. Баланс: {balance}.",
    # ошибки движка, по HiggsctlError.code
    "err_error": "Что-то пошло не так; ничего не списано.",
    "err_service_error": "У сервиса генерации проблема; ничего не списано.",
    "err_service_auth": "Сервис генерации не принял ключ бота; ничего не списано.",
    "err_service_credits": "На счёте сервиса генерации закончились кредиты; ничего не списано. Попробуйте позже.",
    "err_service_rejected": "Сервис генерации отклонил этот запрос; ничего не списано.",
    "err_service_busy": "Сервис генерации сейчас занят; ничего не списано. Попробуйте чуть позже.",
    "err_service_not_found": "Сервис генерации больше не знает этот запрос; ничего не списано.",
    "err_service_unavailable": "У сервиса генерации проблема; ничего не списано.",
    "err_service_rate_limited": "Сервис генерации просит снизить частоту запросов; ничего не списано. Попробуйте чуть позже.",
    "err_service_unreachable": "Сервис генерации сейчас недоступен; ничего не списано.",
    "err_service_timeout": "Сервис генерации слишком долго не отвечал; ничего не списано.",
    "err_config": "Бот настроен неправильно; ничего не списано. Сообщите администратору.",
    "err_topup_decided": "По этому запросу на пополнение уже принято решение.",
    "err_already_held": "Это нажатие уже запустило генерацию; повторно ничего не списано.",
    "err_result_too_large": "Картинка больше, чем принимает этот бот; ничего не списано.",
    "err_invalid_input": "Запрос некорректен.",
    "err_invalid_amount": "Сумма должна быть целым положительным числом из цифр 0-9.",
    "err_not_found": "Этого больше нет.",
    "err_user_blocked": "Ваш аккаунт заблокирован.",
    "err_topup_pending": "Ваш прошлый запрос на пополнение ещё ждёт решения администратора.",
    "err_insufficient_credits": "Недостаточно кредитов: нужно {needed}, на балансе {balance}.",
    "err_prompt_empty": "Промпт пустой.",
    "err_prompt_too_long": "В промпте {length} символов, максимум {limit}.",
    "err_unknown_model": "Модель {model} больше недоступна.",
    "err_unknown_style": "Стиль {style} больше недоступен.",
    "err_option_invalid": "{model} не поддерживает {option}.",
    "err_count_invalid": "За раз можно заказать от 1 до {max} изображений.",
    "err_aspect_unsupported": "{model} не поддерживает формат {aspect} (доступны: {choices}).",
    "err_too_many_references": "{model} принимает не больше {max} референсов, а здесь {count}.",
    "err_reference_missing": "Референс {name} больше не хранится.",
    "err_reference_too_big": "Референс {name}: {size:.1f} МБ, максимум {limit} МБ.",
    "err_reference_not_image": "{name} — не картинка.",
    "err_reference_unreadable": "Референс {name} не читается.",
    "err_reference_damaged": "Референс {name} повреждён или неполон.",
    "err_reference_too_many_pixels": "В референсе {name} слишком много пикселей, максимум {limit} мегапикселей.",
}

# Admin texts: admins are operators, English only.
ADMIN = {
    "topup_request": "Top-up request #{id}: {user} (id {user_id}) asks for {amount} credits. Balance: {balance}.",
    "topup_decided": "Top-up request #{id} for {user}: {status} by {actor}{granted}.",
    "topup_already": "Request #{id} was already {status} by {actor}.",
    "usage_grant": "Usage: /grant USER AMOUNT [reason] (USER is an id or @username).",
    "usage_user": "Usage: /{command} USER (an id or @username).",
    "usage_block": "Usage: /{command} USER [reason] (USER is an id or @username; the reason goes to the audit trail).",
    "granted": "Granted {amount} credits to {user}. Balance: {balance}.",
    "blocked": "{user} is now blocked.",
    "unblocked": "{user} is now unblocked.",
    "user": "{user} (id {id})\nBalance: {balance}\nBlocked: {blocked}\nLanguage: {language}\n"
            "Generations: {total} ({completed} done)\nJoined: {joined}",
    "user_gen": "#{id} {model} {status} {date}: {prompt}",
    "stats": "Users: {users} ({blocked} blocked)\nActive generations: {active}\nPending top-ups: {pending}\n"
             "Last 24 h: {d.generations} generations, {d.completed} done, {d.failed} failed, {d.nsfw} nsfw, "
             "{d.credits_spent} credits spent\n"
             "Last 7 days: {w.generations} generations, {w.completed} done, {w.failed} failed, {w.nsfw} nsfw, "
             "{w.credits_spent} credits spent",
    "error": "Error: {message}",
    "broadcast_done": "Broadcast #{id} is done: {sent} of {total} sent, {blocked} blocked the bot, "
                      "{failed} failed, {unknown} unknown (cut off mid-send).",
}

COMMANDS = {
    "en": [("start", "Main menu"), ("balance", "Your balance"), ("imagine", "PROMPT: make an image"),
           ("generate", "PROMPT: make an image"), ("history", "Your generations"),
           ("topup", "Ask for more credits"), ("cancel", "Cancel the current step or queued job"),
           ("lang", "Language"), ("settings", "Settings: model, aspect, time zone"), ("help", "How it works"),
           ("buy", "Buy credits with Stars"), ("paysupport", "Payment support and refunds"), ("terms", "Terms of sale")],
    "ru": [("start", "Главное меню"), ("balance", "Баланс"), ("imagine", "ПРОМПТ: создать картинку"),
           ("generate", "ПРОМПТ: создать картинку"), ("history", "Мои генерации"),
           ("topup", "Запросить кредиты"), ("cancel", "Отменить шаг или генерацию в очереди"),
           ("lang", "Язык"), ("settings", "Настройки: модель, формат, часовой пояс"), ("help", "Как это работает"),
           ("buy", "Купить кредиты за Stars"), ("paysupport", "Помощь с оплатой и возвраты"), ("terms", "Условия продажи")],
}
ADMIN_COMMANDS = [("grant", "USER AMOUNT [reason]: add credits"), ("user", "USER: account details"),
                  ("stats", "Business overview"), ("block", "USER [reason]: block"), ("unblock", "USER [reason]: unblock"),
                  ("refund", "CHARGE_ID reason: refund a Stars payment")]
