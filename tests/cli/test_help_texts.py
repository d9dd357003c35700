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
    assert result.output.splitlines()[-6:] == [
        "  --format [text|json|markdown|html]",
        "                                  text: the terminal; json: the plan document (docs/plan-json.md); "
        "markdown: a pull-request comment; html: the report (docs/review.md)  [default: text]",
        "  --show-all                      List every item change instead of the first rows.",
        "  --show-values                   Markdown/HTML: include item values (never sensitive ones).",
        "  --list-limit INTEGER RANGE      Markdown/JSON: rows per list of moves, spans and items (the rest is "
        "counted; the HTML report has all).  [default: 20; 0<=x<=1000]",
        "  -h, --help                      Show this message and exit.",
    ]
