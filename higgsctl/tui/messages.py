"""Requests that bubble up to the app, which knows how to open each screen."""

from __future__ import annotations

from textual.message import Message


class OpenUser(Message):
    def __init__(self, user_id: int) -> None:
        super().__init__()
        self.user_id = user_id


class OpenGeneration(Message):
    def __init__(self, generation_id: int) -> None:
        super().__init__()
        self.generation_id = generation_id
