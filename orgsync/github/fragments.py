"""Cut markdown into comment-sized parts that each render on their own as the whole would.

A part that ends inside a fenced code block closes it and the next part reopens it with the same fence (so
the text of an error never leaves its code block and renders as markdown); an open `<details>` is closed and
reopened the same way, and a table's header is repeated. At most `max_parts` parts: the last one then ends
with the caller's overflow line, saying how many characters were left out and where they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_DELIMITER = re.compile(r"^ {0,3}\|?(?:\s*:?-+:?\s*\|)+\s*(?::?-+:?\s*)?$")
_DETAILS = re.compile(r"<(?P<close>/?)details\b[^>]*>", re.IGNORECASE)
_ENTITY_TAIL = re.compile(r"&#?\w{0,12}$")  # a cut here would split an entity
# A longer table header or <details> line is not repeated (what follows still renders safely).
REOPEN_LIMIT = 2_000
REST = "{rest}"  # replaced in the overflow line by the number of characters left out


@dataclass(frozen=True)
class _Open:
    """What is open after a line: a fence, `<details>` blocks (their opening lines), a table (header lines)."""

    fence: str = ""
    details: tuple[str, ...] = ()
    table: tuple[str, ...] = ()
    previous: str = ""

    def after(self, line: str) -> _Open:
        """The state after `line` (without its newline)."""
        if self.fence:
            closing = line.strip()
            ends = closing.startswith(self.fence[0] * len(self.fence)) and not closing.strip(self.fence[0])
            return replace(self, fence="" if ends and len(line) - len(line.lstrip()) < 4 else self.fence)
        opened = _FENCE.match(line)
        if opened and not (opened["fence"][0] == "`" and "`" in opened["info"]):
            return replace(self, fence=opened["fence"], table=(), previous="")
        details = list(self.details)
        for tag in _DETAILS.finditer(line):
            if tag["close"]:
                details = details[:-1]
            else:
                details.append(
                    line if len(line) <= REOPEN_LIMIT else "<details><summary>(continued)</summary>"
                )
        table = self.table
        short = len(self.previous) + len(line) <= REOPEN_LIMIT
        if short and "|" in self.previous and "|" in line and _DELIMITER.match(line):
            table = (self.previous, line)
        elif "|" not in line or not line.strip():
            table = ()
        return _Open(self.fence, tuple(details), table, line)

    def closing(self, text: str) -> str:
        """What ends a part that stops after `text` in this state."""
        out = "" if not text or text.endswith("\n") else "\n"
        if self.fence:
            out += self.fence + "\n"
        if self.details:
            out += "\n" + "</details>\n" * len(self.details)
        return out

    def reopening(self) -> str:
        """What starts the next part, so it continues in the same block."""
        out = "".join(f"{line}\n\n" for line in self.details)
        if self.fence:
            out += self.fence + "\n"
        elif self.table:
            out += "\n".join(self.table) + "\n"
        return out


def fragments(body: str, budget: int, *, max_parts: int, overflow: str) -> list[str]:
    """`body` in parts of at most `budget` characters, each well-formed on its own; past `max_parts` parts
    the last ends with `overflow` (its `{rest}` replaced by the number of characters left out)."""
    parts: list[str] = []
    state = _Open()
    current, consumed = "", 0
    last_room = budget - len(overflow.replace(REST, str(len(body)))) - 3
    lines = body.splitlines(keepends=True)
    index = 0
    carried: _Open | None = None  # the state after a line already cut: from the whole line, not its rest
    while index < len(lines):
        line = lines[index]
        after = carried or state.after(line.rstrip("\r\n"))
        rest_fits = len(current) + len(body) - consumed + REOPEN_LIMIT <= budget  # then no overflow line
        room = last_room if len(parts) == max_parts - 1 and not rest_fits else budget
        if len(current) + len(line) + len(after.closing(line)) <= room:
            current, state, consumed = current + line, after, consumed + len(line)
            index, carried = index + 1, None
            continue
        take = room - len(current) - len(state.closing("x")) if len(line) > budget // 4 else 0
        if 0 < take < len(line):  # a long line fills this part; the rest of it starts the next
            head = line[:take]
            head = head[: len(head) - len(m.group())] if (m := _ENTITY_TAIL.search(head)) else head
            current, consumed = current + head, consumed + len(head)
            lines[index], carried = line[len(head) :], after
        if len(parts) == max_parts - 1:
            rest = str(len(body) - consumed)
            parts.append(current + state.closing(current) + "\n" + overflow.replace(REST, rest) + "\n")
            return parts
        parts.append(current + state.closing(current))
        current = state.reopening()
    parts.append(current + state.closing(current))
    return parts
