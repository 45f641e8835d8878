"""Texts of the confirm card, typed prompts, /imagine, captioned photos, replies to results
and the price asked before a repeat spends."""

EN = {
    "card": "Model: {label}\nAspect: {aspect}\nReference photos: {refs}\nImages: {count}\nStyle: {style}\n"
            "{options}Prompt: {prompt}\n\n{price}",
    "card_price_one": "Price: {price} credits. Balance: {balance}.",
    "card_price_many": "Price: {total} credits ({count} × {price}). Balance: {balance}.",
    "card_option": "{name}: {value}\n",
    "card_no_style": "none",
    "card_low": "⚠️ Your balance is too low for this: lower the count, pick a cheaper model, or /topup.",
    "b_card_model": "🤖 Model", "b_card_aspect": "📐 Aspect", "b_card_refs": "🖼 Photos",
    "b_card_style": "🎭 Style", "b_card_option": "⚙ {name}: {value}", "b_back": "‹ Back",
    "b_no_style": "No style",
    "card_choose_model": "Choose a model (price per image):",
    "card_choose_model_refs": "Choose a model (price per image). “No photos”: that model does not use your "
                              "reference photos.",
    "card_refs_unused": "⚠️ {label} does not use reference photos: your {count} photo(s) will not be sent "
                        "(they stay on this card). To use them, pick a model that takes them.",
    "card_refs_some": "⚠️ {label} takes at most {max} reference photos: only the first {max} of your {count} "
                      "will be sent (all stay on this card).",
    "b_card_use_refs": "🖼 Use the photos: {label}",
    "b_model_no_refs": "{label} · {price} cr · no photos", "b_model_some_refs": "{label} · {price} cr · {max} photos",
    "refs_models_hidden": "Not listed, as they take no reference photos: {labels}.",
    "card_choose_style": "Choose a style (it adds to your prompt):",
    "card_choose_option": "{name}:",
    "card_send_refs": "Send up to {max} reference photos, then press Continue.",
    "start_low_balance": "Not enough credits to start: an image costs {price}, your balance is {balance}. "
                         "Ask for more with the button below (or /topup).",
    "imagine_ask": "Send the prompt: describe the image you want.",
    "new_prompt_ask": "Send the new prompt for {label} · {aspect} (the rest stays as in #{id}).",
    "reply_not_result": "That message is not one of your results. Reply to a picture I made for you, "
                        "or just send a prompt.",
    "caption_photo_failed": "None of the photos could be used, so nothing was started.",
    "other_aspect_spends": "A ratio starts right away and costs {price} credits (no card first: /settings).",
    "reply_album_photo": "I can't tell which image of the album that is. To edit it, reply to its original "
                         "file (sent after the photos) or to the album's first photo.",
}

RU = {
    "card": "Модель: {label}\nФормат: {aspect}\nРеференсов: {refs}\nКартинок: {count}\nСтиль: {style}\n"
            "{options}Промпт: {prompt}\n\n{price}",
    "card_price_one": "Цена: {price} кр. Баланс: {balance}.",
    "card_price_many": "Цена: {total} кр. ({count} × {price}). Баланс: {balance}.",
    "card_option": "{name}: {value}\n",
    "card_no_style": "нет",
    "card_low": "⚠️ Баланса не хватает: уменьшите число картинок, выберите модель дешевле или /topup.",
    "b_card_model": "🤖 Модель", "b_card_aspect": "📐 Формат", "b_card_refs": "🖼 Фото",
    "b_card_style": "🎭 Стиль", "b_card_option": "⚙ {name}: {value}", "b_back": "‹ Назад",
    "b_no_style": "Без стиля",
    "card_choose_model": "Выберите модель (цена за картинку):",
    "card_choose_model_refs": "Выберите модель (цена за картинку). «Без фото» — эта модель не использует "
                              "ваши референсы.",
    "card_refs_unused": "⚠️ {label} не использует референсы: ваши фото ({count}) не будут отправлены "
                        "(они остаются в карточке). Чтобы их использовать, выберите модель, которая их принимает.",
    "card_refs_some": "⚠️ {label} принимает не больше {max} референсов: будут отправлены только первые {max} "
                      "из {count} (все остаются в карточке).",
    "b_card_use_refs": "🖼 С фото: {label}",
    "b_model_no_refs": "{label} · {price} кр. · без фото", "b_model_some_refs": "{label} · {price} кр. · до {max} фото",
    "refs_models_hidden": "Не показаны, так как не принимают референсы: {labels}.",
    "card_choose_style": "Выберите стиль (он дополнит промпт):",
    "card_choose_option": "{name}:",
    "card_send_refs": "Отправьте до {max} референсов и нажмите «Дальше».",
    "start_low_balance": "Не хватает кредитов: картинка стоит {price}, на балансе {balance}. "
                         "Запросите пополнение кнопкой ниже (или /topup).",
    "imagine_ask": "Отправьте промпт — опишите картинку.",
    "new_prompt_ask": "Отправьте новый промпт для {label} · {aspect} (остальное — как в #{id}).",
    "reply_not_result": "Это сообщение — не ваш результат. Ответьте на картинку, которую я сделал для вас, "
                        "или просто отправьте промпт.",
    "caption_photo_failed": "Ни одно фото не подошло, поэтому ничего не запущено.",
    "other_aspect_spends": "Формат запускается сразу и стоит {price} кр. (без карточки: /settings).",
    "reply_album_photo": "Не понимаю, какая это картинка альбома. Чтобы изменить её, ответьте на её "
                         "файл-оригинал (он пришёл после фото) или на первое фото альбома.",
}
