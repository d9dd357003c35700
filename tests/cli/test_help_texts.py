"""Every option of every command says what it does in `--help` (issue 22, point 10: show's had none)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from orgsync.cli import cli


def test_every_option_has_a_help_text():
    bare = [
        f"{name} {param.opts[0]}"
        for name, command in cli.commands.items()
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not param.help
    ]
    assert bare == []


def test_show_explains_show_all_and_show_values():
    result = CliRunner().invoke(cli, ["show", "--help"], terminal_width=200)
    assert result.output.splitlines()[-4:] == [
        "  --format [text|json|markdown]  text: the terminal; json: the plan document (docs/plan-json.md); "
        "markdown: a pull-request comment  [default: text]",
        "  --show-all                     List every item change instead of the first rows.",
        "  --show-values                  Markdown: include item values (never sensitive ones).",
        "  -h, --help                     Show this message and exit.",
    ]
