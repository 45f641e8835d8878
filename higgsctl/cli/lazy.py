"""Commands imported only when they run (click's LazyGroup pattern, on Typer's group): the
root knows each command's name, module and the first sentence of its help, so
`higgsctl --help` lists every command without importing any command module."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

import typer
from typer import main as typer_main
from typer.core import TyperCommand

from .commands import Lazy


class LazyCommands(MutableMapping):
    """The root group's `commands`: every name is there, a command is built on first access."""

    def __init__(self, package: str, table: Mapping[str, Lazy], loaded: dict, settings: dict) -> None:
        self.package, self.table, self.loaded, self.settings = package, table, loaded, settings

    def __getitem__(self, name: str):
        if name not in self.loaded:
            self.loaded[name] = self._build(name, self.table[name])  # KeyError: no such command
        return self.loaded[name]

    def __contains__(self, name: object) -> bool:  # without building the command
        return name in self.table or name in self.loaded

    def __setitem__(self, name: str, command) -> None:
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        raise TypeError("The CLI's commands are fixed.")

    def __iter__(self) -> Iterator[str]:
        yield from self.table
        yield from (name for name in self.loaded if name not in self.table)

    def __len__(self) -> int:
        return len(self.table) + sum(name not in self.table for name in self.loaded)

    def preview(self, name: str):
        """The built command if it is loaded, else a stand-in that carries only its help."""
        if name in self.loaded:
            return self.loaded[name]
        return TyperCommand(name, help=self.table[name].help)

    def _build(self, name: str, lazy: Lazy):
        """The command exactly as `app.command(name)(function)` / `app.add_typer(app, name=name)`
        on the root would have built it (Typer builds sub-commands with the root's settings)."""
        target = getattr(importlib.import_module(f"{self.package}.{lazy.module}"), lazy.attribute)
        holder = typer.Typer()
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
            return typer_main.get_group_from_info(holder.registered_groups[0], **self.settings)
        holder.command(name, **lazy.options)(target)
        settings = {key: value for key, value in self.settings.items() if key != "suggest_commands"}
        return typer_main.get_command_from_info(holder.registered_commands[0], **settings)


class LazyGroupMixin:
    """Mix into the root TyperGroup; `lazy_package` and `lazy_commands` name the commands."""

    lazy_package: str = ""
    lazy_commands: Mapping[str, Lazy] = {}

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        settings = {"pretty_exceptions_short": True,  # Typer's default; its pretty exceptions are off
                    "rich_markup_mode": self.rich_markup_mode, "suggest_commands": self.suggest_commands}
        self.commands = LazyCommands(self.lazy_package, self.lazy_commands, dict(self.commands), settings)

    def format_commands(self, ctx, formatter) -> None:
        """List the commands from their help in the table, importing none of them."""
        commands = self.commands
        self.commands = {name: commands.preview(name) for name in commands}
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.commands = commands
