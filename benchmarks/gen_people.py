"""A second, independent People generator for the plan benchmarks (issue 24): data as an HR system exports it.

30 properties: first and last names in many scripts (Latin with diacritics, Cyrillic, Greek, Arabic, Hebrew,
Devanagari, Thai, CJK, Hangul), e-mail addresses, departments, titles, locations, free-text notes of 20-200
characters, dates over decades (days 29-31 included), numbers with fractions written as a spreadsheet writes
them ("65432.10", "0.80", "1"), booleans as "TRUE"/"FALSE", "Yes"/"No" and "true"/"false", some empty cells
(1-30 % per optional column), and a deep manager hierarchy (a binary tree: 20 levels at 1M rows) in shuffled
file order. Values come from a seeded hash of the row number, not from the project's generator.

1 % changes as people change: 0.8 % updated (a raise, a new title, a move to another manager or department, a
note edited, a leaver date set), 0.1 % leave (leaves of the tree only, so no orphans), 0.1 % join.
"""

from __future__ import annotations

import polars as pl

FIRST = (
    "Zoë", "José", "Łukasz", "Søren", "Ana", "Jürgen", "Chloé", "Nuñez", "Aoife", "Siobhán", "Björn", "Çağla",
    "Анна", "Дмитрий", "Ольга", "Σοφία", "Γιώργος", "محمد", "فاطمة", "דוד", "שרה", "अर्जुन", "प्रिया", "สมชาย",
    "李娜", "王伟", "佐藤", "美咲", "민준", "서연", "Nguyễn", "Thảo", "Kwame", "Amara", "Olu", "Mary", "John",
)  # fmt: skip
LAST = (
    "Müller", "García", "Kowalski", "Ødegaard", "Ōtani", "O'Brien", "Smith-Jones", "van der Berg", "Иванов",
    "Петрова", "Παπαδόπουλος", "الهاشمي", "כהן", "शर्मा", "ศรีสุข", "张", "田中", "김", "Trần", "Mensah", "Dubois",
)  # fmt: skip
DEPARTMENTS = (
    "Finance", "Human Resources", "Engineering — Platform", "Engineering — Data", "Sales EMEA", "Sales APAC",
    "Marketing & Brand", "Legal", "Operations", "Customer Success", "Research & Development", "Facilities",
)  # fmt: skip
TITLES = (
    "Analyst", "Senior Analyst", "Software Engineer II", "Staff Engineer", "Team Lead", "Director, Strategy",
    "Vice President", "Account Executive", "HR Business Partner", "Office Manager", "Product Manager",
    "Data Scientist", "Chef de projet", "Geschäftsführer", "Менеджер по продажам", "営業部長",
)  # fmt: skip
CITIES = (
    "London",
    "Zürich",
    "São Paulo",
    "Kraków",
    "München",
    "Москва",
    "東京",
    "서울",
    "Αθήνα",
    "القاهرة",
    "Lagos",
)
WORDS = (
    "leads", "the", "quarterly", "review", "and", "mentors", "new", "joiners;", "relocated", "from", "office,",
    "part-time", "until", "certified", "in", "payroll", "Ünïcödé", "façade", "naïve", "coördinates", "projects",
    "über", "straße", "данные", "отчёт", "プロジェクト", "管理", "데이터", "مشروع", "פרויקט", "परियोजना",
)  # fmt: skip

# (key, type); the key is `id`, the parent `manager`, the label `name`
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "text"), ("manager", "text"), ("name", "text"), ("first_name", "text"), ("last_name", "text"),
    ("email", "text"), ("department", "text"), ("title", "text"), ("location", "text"), ("notes", "text"),
    ("cost_centre", "text"), ("grade", "text"), ("phone", "text"), ("hire_date", "date"),
    ("birth_date", "date"), ("leave_date", "date"), ("review_date", "date"), ("salary", "number"),
    ("bonus_pct", "number"), ("fte", "number"), ("rating", "number"), ("tenure_years", "number"),
    ("hours", "number"), ("span", "number"), ("is_manager", "boolean"), ("remote", "boolean"),
    ("active", "boolean"), ("contractor", "boolean"), ("union_member", "boolean"), ("eligible", "boolean"),
)  # fmt: skip
LABEL, PARENT = "name", "manager"


def columns(props: int = 30) -> list[tuple[str, str]]:
    return list(COLUMNS[:props])


def _rand(n: pl.Expr, salt: int) -> pl.Expr:
    """A pseudo-random UInt64 of the row number (seeded, so every run writes the same file)."""
    return n.hash(seed=2024 + salt)


def _pick(words: tuple[str, ...], n: pl.Expr, salt: int) -> pl.Expr:
    return pl.lit(pl.Series(words)).gather(_rand(n, salt) % len(words))


def _empty(value: pl.Expr, n: pl.Expr, salt: int, percent: int) -> pl.Expr:
    """`value`, or an empty cell in about `percent` % of the rows."""
    return pl.when(_rand(n, salt) % 100 < percent).then(None).otherwise(value)


def _decimal(cents: pl.Expr) -> pl.Expr:
    """Cents as a spreadsheet writes them: always two decimals ("65432.10")."""
    return (cents // 100).cast(pl.Utf8) + "." + (cents % 100).cast(pl.Utf8).str.zfill(2)


def _date(n: pl.Expr, salt: int, first_year: int, years: int) -> pl.Expr:
    r = _rand(n, salt)
    year = (first_year + r % years).cast(pl.Utf8)
    month = (1 + (r // 97) % 12).cast(pl.Utf8).str.zfill(2)
    days = pl.when(month == "02").then(28).when(month.is_in(["04", "06", "09", "11"])).then(30).otherwise(31)
    day = (1 + (r // 1237) % days.cast(pl.UInt64)).cast(pl.Utf8).str.zfill(2)
    return year + "-" + month + "-" + day


def _notes(n: pl.Expr, salt: int) -> pl.Expr:
    parts = [_pick(WORDS, n, salt + k) for k in range(4)]
    short = pl.concat_str(parts, separator=" ")
    long = pl.concat_str([short, short.str.reverse(), short], separator=" / ")
    return pl.when(_rand(n, salt) % 3 == 0).then(long).otherwise(short)


def _values(n: pl.Expr, version: pl.Expr, rows: int) -> list[pl.Expr]:
    """Every column's value for row number `n`; `version` > 0 marks the rows the change edits."""
    first, last = _pick(FIRST, n, 1), _pick(LAST, n, 2)
    edited = version > 0
    cents = 2_500_000 + (_rand(n, 3) % 20_000_000).cast(pl.Int64)
    salary = pl.when(edited & (n % 5 == 0)).then(cents + 150_000).otherwise(cents)
    title = pl.when(edited & (n % 5 == 1)).then(pl.lit("Principal Engineer")).otherwise(_pick(TITLES, n, 4))
    dept = (
        pl.when(edited & (n % 5 == 2))
        .then(pl.lit("Transformation Office"))
        .otherwise(_pick(DEPARTMENTS, n, 5))
    )
    notes = (
        pl.when(edited & (n % 5 == 3))
        .then(pl.lit("Moved — see ticket #4711, naïve café"))
        .otherwise(_notes(n, 6))
    )
    leave = (
        pl.when(edited & (n % 5 == 4))
        .then(pl.lit("2026-12-31"))
        .otherwise(_empty(_date(n, 7, 2025, 2), n, 8, 95))
    )
    fte = pl.lit(pl.Series(["1", "1", "1", "0.80", "0.50", "0.60", "1.00", "0.75"])).gather(_rand(n, 9) % 8)
    yes_no = pl.when(_rand(n, 10) % 4 == 0).then(pl.lit("Yes")).otherwise(pl.lit("No"))
    return [
        first.alias("first_name"),
        last.alias("last_name"),
        (first + " " + last).alias("name"),
        (
            pl.lit("p")
            + n.cast(pl.Utf8)
            + "."
            + _pick(("smith", "garcia", "li", "nguyen", "ivanova"), n, 11)
            + "@corp.example.com"
        ).alias("email"),
        _empty(dept, n, 12, 2).alias("department"),
        _empty(title, n, 13, 3).alias("title"),
        _empty(_pick(CITIES, n, 14), n, 15, 5).alias("location"),
        _empty(notes, n, 16, 30).alias("notes"),
        (pl.lit("CC-") + (_rand(n, 17) % 900 + 100).cast(pl.Utf8)).alias("cost_centre"),
        _empty(pl.lit("G") + (_rand(n, 18) % 12).cast(pl.Utf8), n, 19, 10).alias("grade"),
        _empty(pl.lit("+44 20 ") + (_rand(n, 20) % 90_000_000 + 10_000_000).cast(pl.Utf8), n, 21, 20).alias(
            "phone"
        ),
        _date(n, 22, 1990, 36).alias("hire_date"),
        _empty(_date(n, 23, 1955, 50), n, 24, 8).alias("birth_date"),
        leave.alias("leave_date"),
        _empty(_date(n, 25, 2024, 3), n, 26, 15).alias("review_date"),
        _decimal(salary).alias("salary"),
        _empty(_decimal(_rand(n, 27) % 2500), n, 28, 40).alias("bonus_pct"),
        fte.alias("fte"),
        _empty(_decimal((_rand(n, 29) % 5 * 25 + 100).cast(pl.Int64)), n, 30, 12).alias("rating"),
        _decimal((_rand(n, 31) % 4000).cast(pl.Int64)).alias("tenure_years"),
        _pick(("37.5", "40", "35", "20", "22.5", "37.50"), n, 32).alias("hours"),
        _empty((_rand(n, 33) % 12).cast(pl.Utf8), n, 34, 50).alias("span"),
        pl.when(n * 2 + 1 < rows).then(pl.lit("TRUE")).otherwise(pl.lit("FALSE")).alias("is_manager"),
        yes_no.alias("remote"),
        pl.when(_rand(n, 35) % 50 == 0).then(pl.lit("false")).otherwise(pl.lit("true")).alias("active"),
        _empty(
            pl.when(_rand(n, 36) % 9 == 0).then(pl.lit("TRUE")).otherwise(pl.lit("FALSE")), n, 37, 5
        ).alias("contractor"),
        _empty(
            pl.when(_rand(n, 38) % 3 == 0).then(pl.lit("true")).otherwise(pl.lit("false")), n, 39, 25
        ).alias("union_member"),
        pl.when(_rand(n, 40) % 2 == 0).then(pl.lit("Yes")).otherwise(pl.lit("No")).alias("eligible"),
    ]


def people(rows: int, *, changed: bool, props: int = 30) -> pl.DataFrame:
    """`rows` people; `changed` applies the 1 % change (0.8 % updated, 0.1 % left, 0.1 % joined)."""
    n = pl.col("n")
    frame = pl.DataFrame({"n": pl.int_range(0, rows, eager=True, dtype=pl.Int64)})
    pick = _rand(n, 50) % 1000
    if changed:  # leavers: leaves of the tree only (n >= rows / 2 has no reports)
        frame = frame.filter((pick < 998) | (n * 2 + 1 < rows))  # ~0.1 %: half the rows are leaves
    version = (pick < 8).cast(pl.Int64) if changed else pl.lit(0)
    # a binary tree: 20 levels at 1M; a changed row in eight moves to another manager
    parent = (n - 1) // 2
    if changed:
        parent = pl.when((pick == 0) & (n > 2)).then(parent - 1).otherwise(parent)
    manager = pl.when(n > 0).then(pl.lit("P") + parent.cast(pl.Utf8))
    out = frame.select(
        (pl.lit("P") + n.cast(pl.Utf8)).alias("id"), manager.alias("manager"), *_values(n, version, rows)
    )
    if changed:
        joiners = people(max(rows // 1000, 1), changed=False, props=props).with_columns(
            ("J" + pl.col("id")).alias("id"), manager=pl.lit("P0")
        )
        out = pl.concat([out, joiners.select(out.columns)])
    return out.select([key for key, _ in columns(props)])
