"""A small SQL lexer for what a source's query may be: exactly one SELECT (or WITH ... SELECT), nothing that
writes, attaches a file, changes a setting or reads a server file, checked before any driver sees the text.

It knows the quoting of PostgreSQL, SQLite and polars SQL: '...' strings ('' inside), E'...' strings (backslash
escapes), $tag$...$tag$ strings, "..." / `...` / [...] identifiers, -- and (nested) /* */ comments. Quoted
identifiers are checked like bare words (PostgreSQL calls `"pg_read_file"(...)` too); unicode-escaped names
(U&"...") are refused. It also tells whether the query reads the clock (`now()`, `current_date`, 'now'...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Statements (and clauses) that write, attach or load files, change settings or control transactions.
REFUSED_WORDS = frozenset(
    """attach detach pragma vacuum insert update delete merge upsert create drop alter truncate
    grant revoke copy into call do execute exec prepare deallocate listen notify unlisten lock begin commit
    rollback savepoint release reindex refresh load set reset discard checkpoint cluster import install
    security""".split()
)
# Functions that read or write server files, reach other servers, sleep, or change settings.
REFUSED_FUNCTIONS = frozenset(
    """pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file lo_import lo_export lo_put lo_from_bytea
    dblink dblink_exec dblink_connect pg_sleep pg_sleep_for pg_sleep_until set_config pg_terminate_backend
    pg_cancel_backend pg_reload_conf pg_rotate_logfile load_extension readfile writefile edit fts3_tokenizer
    query_to_xml""".split()
)
CLOCK_WORDS = frozenset(
    """now current_date current_time current_timestamp localtime localtimestamp transaction_timestamp
    statement_timestamp clock_timestamp timeofday getdate sysdate systimestamp current_datetime unixepoch
    julianday today""".split()
)
CLOCK_STRINGS = frozenset({"now", "today", "tomorrow", "yesterday"})


@dataclass(frozen=True)
class Token:
    kind: str  # "word" (bare or quoted identifier, lower-cased), "string", "symbol"
    text: str
    quoted: bool = False


class Unlexable(ValueError):
    """The text cannot be split into tokens (an unterminated quote or comment)."""


_WORD = re.compile(r"[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def tokens(sql: str) -> list[Token]:
    """`sql` as tokens, comments and whitespace dropped; raises `Unlexable`."""
    out: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c.isspace():
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            i = _block_comment(sql, i)
        elif c == "'" or (c in "eE" and sql.startswith("'", i + 1)):
            start = i + (1 if c != "'" else 0)
            text, i = _string(sql, start, backslash=c != "'")
            out.append(Token("string", text))
        elif c in "uU" and sql.startswith("&", i + 1):
            raise Unlexable("unicode-escaped names or strings (U&'...', U&\"...\") are not allowed")
        elif c in '"`[':
            close = {'"': '"', "`": "`", "[": "]"}[c]
            end = i + 1
            name: list[str] = []
            while True:
                stop = sql.find(close, end)
                if stop < 0:
                    raise Unlexable(f"a {c}quoted name{close} is not closed")
                name.append(sql[end:stop])
                if close != "]" and sql.startswith(close, stop + 1):  # doubled quote inside
                    name.append(close)
                    end = stop + 2
                    continue
                i = stop + 1
                break
            out.append(Token("word", "".join(name).lower(), quoted=True))
        elif c == "$" and (m := _DOLLAR.match(sql, i)):
            end = sql.find(m.group(0), m.end())
            if end < 0:
                raise Unlexable(f"the string opened by {m.group(0)} is not closed")
            out.append(Token("string", sql[m.end() : end]))
            i = end + len(m.group(0))
        elif m := _WORD.match(sql, i):
            out.append(Token("word", m.group(0).lower()))
            i = m.end()
        else:
            out.append(Token("symbol", c))
            i += 1
    return out


def _block_comment(sql: str, i: int) -> int:
    depth, i = 1, i + 2
    while depth:
        opens, closes = sql.find("/*", i), sql.find("*/", i)
        if closes < 0:
            raise Unlexable("a /* comment is not closed")
        if 0 <= opens < closes:
            depth, i = depth + 1, opens + 2
        else:
            depth, i = depth - 1, closes + 2
    return i


def _string(sql: str, i: int, *, backslash: bool) -> tuple[str, int]:
    """The string literal opening at `i` (a quote) and the index after it."""
    j, parts = i + 1, []
    while True:
        k = j
        while k < len(sql) and sql[k] != "'" and not (backslash and sql[k] == "\\"):
            k += 1
        if k >= len(sql):
            raise Unlexable("a '...' string is not closed")
        parts.append(sql[j:k])
        if sql[k] == "\\":
            parts.append(sql[k + 1 : k + 2])
            j = k + 2
        elif sql.startswith("''", k):
            parts.append("'")
            j = k + 2
        else:
            return "".join(parts), k + 1


def refusal(sql: str) -> str | None:
    """Why `sql` may not run as a source query, or None when it is one SELECT / WITH statement of allowed words."""
    try:
        found = tokens(sql)
    except Unlexable as err:
        return f"the query cannot be read: {err}"
    while found and found[-1].text == ";":
        found.pop()
    head = next((t for t in found if t.text != "("), None)
    if head is None or head.kind != "word" or head.quoted or head.text not in ("select", "with"):
        first = "nothing" if head is None else repr(head.text.upper() if head.kind == "word" else head.text)
        return f"the query must be one SELECT (or WITH ... SELECT) statement; it starts with {first}"
    if any(t.kind == "symbol" and t.text == ";" for t in found):
        return "the query must be one statement; it holds a `;` followed by more"
    for token in found:
        if token.kind != "word":
            continue
        if token.text in REFUSED_WORDS and not token.quoted:
            return (
                f"the query uses {token.text.upper()}, which is refused (a source query only reads: "
                "statements that write, attach files or change settings never run); if it is a column "
                'name, quote it ("name")'
            )
        if token.text in REFUSED_FUNCTIONS:
            return (
                f"the query uses {token.text}, which is refused (it reads or writes server files, "
                "reaches other servers, sleeps or changes settings)"
            )
    return None


def clock_reads(sql: str) -> list[str]:
    """The words and strings by which `sql` reads the clock (`now`, `current_date`, 'now'...), in order."""
    try:
        found = tokens(sql)
    except Unlexable:
        return []
    hits = [t.text for t in found if t.kind == "word" and not t.quoted and t.text in CLOCK_WORDS]
    hits += [f"'{t.text}'" for t in found if t.kind == "string" and t.text.strip().lower() in CLOCK_STRINGS]
    return list(dict.fromkeys(hits))
