"""/settings texts: the settings card, its menus and the time zone typed in reply."""

from __future__ import annotations

EN = {
    "set_card": "⚙️ Your settings\n\n"
                "🌐 Language: {language}\n"
                "🎨 Model for prompts you type: {model}\n"
                "📐 Aspect ratio: {aspect}\n"
                "🕒 Time zone: {zone}, now {now}\n"
                "🔁 Ask before repeating a generation: {confirm}\n\n"
                "“Ask before repeating”: Regenerate, Other aspect and Try again show the price and wait "
                "for your OK; when off, they spend at once.",
    "set_language_name": "English",
    "set_last_used": "the last used",
    "set_on": "on", "set_off": "off",
    "set_saved": "✅ Saved.",
    "b_set_language": "🌐 Language", "b_set_model": "🎨 Model", "b_set_aspect": "📐 Aspect",
    "b_set_zone": "🕒 Time zone", "b_set_confirm_on": "🔁 Ask before repeating: on",
    "b_set_confirm_off": "🔁 Ask before repeating: off", "b_set_last_used": "Last used",
    "b_set_back": "« Back", "b_set_type_zone": "⌨ Type another zone",
    "set_choose_language": "Choose the language:",
    "set_choose_model": "The model a prompt you type starts with (price per image). “Last used” takes the "
                        "model of your latest generation:",
    "set_choose_aspect": "The aspect ratio a prompt you type starts with. “Last used” takes the one of your "
                         "latest generation:",
    "set_choose_aspect_for": "The aspect ratio a prompt you type starts with ({model} offers these). “Last used” "
                             "takes the one of your latest generation:",
    "set_choose_zone": "Your time zone: /history shows times in it. Choose one, or type another:",
    # a reply to this text is read as a time zone: it must stay the end of every message asking for one
    "set_ask_zone": "Reply to this message with your time zone: a name like Europe/Paris, a city like "
                    "Tashkent, or an offset like +3 or UTC-5.",
    "set_zone_placeholder": "Europe/Paris, Tashkent or +3",
    "err_aspect_unknown": "No model offers the aspect ratio {aspect} (they offer {choices}).",
    "err_timezone_unknown": "I don't know the time zone “{zone}”.",
    "err_timezone_offset": "“{zone}”: only whole-hour offsets can be typed (like +3 or UTC-5); for others send a "
                           "place, like Asia/Kolkata.",
}

RU = {
    "set_card": "⚙️ Ваши настройки\n\n"
                "🌐 Язык: {language}\n"
                "🎨 Модель для набранных промптов: {model}\n"
                "📐 Формат: {aspect}\n"
                "🕒 Часовой пояс: {zone}, сейчас {now}\n"
                "🔁 Спрашивать перед повтором генерации: {confirm}\n\n"
                "«Спрашивать перед повтором»: «Ещё раз», «Другой формат» и «Попробовать снова» показывают "
                "цену и ждут подтверждения; если выключено — списывают сразу.",
    "set_language_name": "русский",
    "set_last_used": "как в прошлый раз",
    "set_on": "да", "set_off": "нет",
    "set_saved": "✅ Сохранено.",
    "b_set_language": "🌐 Язык", "b_set_model": "🎨 Модель", "b_set_aspect": "📐 Формат",
    "b_set_zone": "🕒 Часовой пояс", "b_set_confirm_on": "🔁 Спрашивать перед повтором: да",
    "b_set_confirm_off": "🔁 Спрашивать перед повтором: нет", "b_set_last_used": "Как в прошлый раз",
    "b_set_back": "« Назад", "b_set_type_zone": "⌨ Ввести другой пояс",
    "set_choose_language": "Выберите язык:",
    "set_choose_model": "С какой модели начинается набранный промпт (цена за картинку). «Как в прошлый раз» — "
                        "модель вашей последней генерации:",
    "set_choose_aspect": "С какого формата начинается набранный промпт. «Как в прошлый раз» — формат вашей "
                         "последней генерации:",
    "set_choose_aspect_for": "С какого формата начинается набранный промпт ({model} предлагает эти). «Как в "
                             "прошлый раз» — формат вашей последней генерации:",
    "set_choose_zone": "Ваш часовой пояс: в нём /history показывает время. Выберите или введите другой:",
    "set_ask_zone": "Ответьте на это сообщение своим часовым поясом: название вроде Europe/Moscow, город латиницей "
                    "вроде Tashkent или смещение вроде +3 или UTC-5.",
    "set_zone_placeholder": "Europe/Moscow, Tashkent или +3",
    "err_aspect_unknown": "Ни одна модель не предлагает формат {aspect} (доступны: {choices}).",
    "err_timezone_unknown": "Не знаю часовой пояс «{zone}».",
    "err_timezone_offset": "«{zone}»: вводить можно только смещение в целых часах (например, +3 или UTC-5); для "
                           "других пришлите место, например Asia/Kolkata.",
}
