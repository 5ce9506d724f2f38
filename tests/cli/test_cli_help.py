"""Every command and option explains itself in ``--help``."""

from __future__ import annotations

import click

import manage


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


def test_every_command_and_option_has_help():
    missing = []
    for path, command in _commands(manage.cli):
        if not (command.help or "").strip():
            missing.append(" ".join(path))
        for param in command.params:
            if isinstance(param, click.Option) and not (param.help or "").strip():
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert missing == []


def test_help_runs_for_every_command(cli):
    for path, _command in _commands(manage.cli):
        assert cli.ok(*path, "--help").out.startswith("Usage: manage.py " + " ".join(path))
