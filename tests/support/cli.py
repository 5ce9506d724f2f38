"""Run ``manage.py`` in-process, as an operator would, with its own environment and stdin."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass

import manage


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Cli:
    def __init__(self, monkeypatch, capsys, env: dict[str, str]):
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        self.env = env

    def __call__(self, *args: str, input: str = "") -> CliResult:
        with self._monkeypatch.context() as patch:
            for name, value in self.env.items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdin", io.StringIO(input))
            self._capsys.readouterr()
            code = manage.main(list(args))
            captured = self._capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    def ok(self, *args: str, input: str = "") -> CliResult:
        result = self(*args, input=input)
        assert result.code == 0, result.err
        return result


def assert_refused_without_change(
    cli: Cli, listing: tuple[str, ...], args: tuple[str, ...], message: str, input: str = ""
) -> None:
    """Bad input: non-zero exit, one line on stderr naming the problem, and ``listing`` unchanged."""
    before = cli.ok(*listing).out
    result = cli(*args, input=input)
    assert result.code != 0
    assert message in result.err
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert "Traceback" not in result.err
    assert cli.ok(*listing).out == before
