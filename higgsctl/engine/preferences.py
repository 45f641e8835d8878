"""Each user's preferences (/settings): default model and aspect, time zone, and whether
Regenerate and the like ask before spending. Every value is checked on the way in (against
the model catalog and the time-zone database) and again on the way out, so a model or aspect
since removed from config reads as unset ("last used") instead of reaching a request."""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import ModelSpec
from .errors import InvalidInput, NotFound
from .models import Generation, User
from .zones import known_zone, parse_zone


@dataclass(frozen=True)
class UserPreferences:
    language: str
    model: str | None  # a catalog key; None: the last used
    aspect: str | None  # offered by ``model`` (or, with no model, by some model); None: the last used
    timezone: str | None  # an IANA name; None: UTC
    confirm_repeats: bool  # False: Regenerate, Other aspect and Try again spend without asking


class Preferences:
    def __init__(self, models: dict[str, ModelSpec]) -> None:
        self.models = models

    def get(self, user_id: int) -> UserPreferences:
        return self._read(self._user(user_id))

    def set_model(self, user_id: int, key: str | None) -> UserPreferences:
        """The model a typed prompt starts with (None: the last used). A default aspect the new
        model does not offer is cleared with it."""
        if key is not None and key not in self.models:
            shown = str(key)[:40]
            raise InvalidInput(f"Unknown model {shown!r}.", hint=f"Choose one of: {', '.join(self.models)}.",
                               code="unknown_model", model=shown)
        current = self._read(self._user(user_id))
        aspect = current.aspect if current.aspect in self.aspects_for(key) else None
        User.update(default_model=key, default_aspect=aspect).where(User.id == user_id).execute()
        return self.get(user_id)

    def set_aspect(self, user_id: int, ratio: str | None) -> UserPreferences:
        """The aspect a typed prompt starts with (None: the last used): one the default model
        offers, or with no default model, one some model offers."""
        current = self._read(self._user(user_id))
        choices = self.aspects_for(current.model)
        if ratio is not None and ratio not in choices:
            shown, offered = str(ratio)[:20], ", ".join(choices)
            if current.model is None:
                raise InvalidInput(f"No model offers aspect ratio {shown!r}.", hint=f"Choose one of: {offered}.",
                                   code="aspect_unknown", aspect=shown, choices=offered)
            label = self.models[current.model].label
            raise InvalidInput(f"{label} does not offer aspect ratio {shown!r}.", hint=f"Choose one of: {offered}.",
                               code="aspect_unsupported", model=label, aspect=shown, choices=offered)
        User.update(default_aspect=ratio).where(User.id == user_id).execute()
        return self.get(user_id)

    def set_timezone(self, user_id: int, text: str | None) -> UserPreferences:
        """``text`` as parse_zone reads it (an IANA name, a place, "+3", "UTC"); None: UTC."""
        zone = None if text is None else parse_zone(text)
        self._user(user_id)
        User.update(timezone=zone).where(User.id == user_id).execute()
        return self.get(user_id)

    def set_confirm_repeats(self, user_id: int, ask: bool) -> UserPreferences:
        self._user(user_id)
        User.update(confirm_repeats=bool(ask)).where(User.id == user_id).execute()
        return self.get(user_id)

    def aspects_for(self, key: str | None) -> tuple[str, ...]:
        """The aspects a default may be: the model's, or with no model every model's (in catalog order)."""
        if key is not None and key in self.models:
            return self.models[key].aspect_ratios
        return tuple(dict.fromkeys(r for spec in self.models.values() for r in spec.aspect_ratios))

    def starting_point(self, user_id: int) -> tuple[str, str]:
        """(model key, aspect) a typed prompt starts with: the defaults, else what the user's
        latest generation used (if the catalog still offers it), else the catalog's first
        model and that model's first aspect."""
        prefs = self.get(user_id)
        last = (Generation.select(Generation.model, Generation.aspect_ratio)
                .where(Generation.user == user_id).order_by(Generation.id.desc()).first())
        model = prefs.model or (last.model if last is not None and last.model in self.models else None)
        model = model or next(iter(self.models))
        offered = self.models[model].aspect_ratios
        for aspect in (prefs.aspect, last.aspect_ratio if last is not None else None):
            if aspect in offered:
                return model, aspect
        return model, offered[0]

    def _read(self, user: User) -> UserPreferences:
        model = user.default_model if user.default_model in self.models else None
        aspect = user.default_aspect if user.default_aspect in self.aspects_for(model) else None
        zone = user.timezone if user.timezone and known_zone(user.timezone) else None
        return UserPreferences(language=user.language, model=model, aspect=aspect, timezone=zone,
                               confirm_repeats=bool(user.confirm_repeats))

    @staticmethod
    def _user(user_id: int) -> User:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise NotFound(f"No user {user_id}.")
        return user
