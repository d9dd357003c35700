"""Generate the ACME example data (deterministic): ~300 positions in a hierarchy, the people who fill them
(manager hierarchy, a sensitive salary, a date, a boolean) and the People -> Positions assignments.

Run from anywhere: `python examples/acme/generate.py` rewrites examples/acme/data/*.csv identically.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SEED = 20240601
POSITIONS = 300

FIRST = (
    "Olivia Liam Amelia Noah Isla Oliver Ava Elijah Mia James Sophia William Grace Henry Chloe Lucas Emily "
    "Benjamin Lily Theodore Ella Jack Freya Leo Ruby Oscar Evie Arthur Florence Thomas Priya Arjun Aisha "
    "Mohammed Fatima Omar Mei Wei Hiroshi Yuki Sofia Mateo Camila Diego Lucia Javier Ingrid Lars Anika "
    "Kofi Amara Chidi Zanele Sipho Niamh Cian Siobhan Rhys Carys Dmitri Katya Tomasz Zofia"
).split()
LAST = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson Evans Walker "
    "White Roberts Green Hall Wood Jackson Clarke Khan Singh Chen Wang Tanaka Sato Garcia Martinez Lopez "
    "Rossi Bianchi Muller Schmidt Novak Kowalski Jensen Larsen Okafor Mensah Dlamini Nkosi Murphy Kelly "
    "O'Brien Byrne Hughes Morgan Price Ivanova Petrov Silva Santos Costa Haddad Nasser Kim Park"
).split()
DEPARTMENTS = {
    "Finance": ("Finance", ["Accountant", "Financial Analyst", "Payroll Specialist", "Controller"]),
    "People": ("People", ["HR Business Partner", "Recruiter", "HR Analyst", "Learning Specialist"]),
    "Engineering": ("Engineering", ["Software Engineer", "Senior Software Engineer", "QA Engineer", "SRE"]),
    "Sales": ("Sales", ["Account Executive", "Sales Development Rep", "Solutions Consultant"]),
    "Marketing": ("Marketing", ["Content Marketer", "Product Marketer", "Marketing Analyst"]),
    "Operations": ("Operations", ["Operations Analyst", "Facilities Coordinator", "Procurement Specialist"]),
    "Customer Success": (
        "Customer Success",
        ["Customer Success Manager", "Support Engineer", "Onboarding Lead"],
    ),
    "Legal": ("Legal", ["Legal Counsel", "Paralegal", "Compliance Analyst"]),
}
LOCATIONS = ["London", "Manchester", "Edinburgh", "Dublin", "New York", "Austin", "Singapore", "Berlin"]
GRADES = {0: "E1", 1: "E2", 2: "M3", 3: "M2", 4: "P2"}
BASE_SALARY = {0: 240000, 1: 160000, 2: 115000, 3: 85000, 4: 52000}


def positions(rng: random.Random) -> list[dict]:
    """A tree: CEO, a head per department, directors, managers, then individual contributors."""
    rows = [
        {
            "position_id": "P0001",
            "title": "Chief Executive Officer",
            "department": "Executive",
            "parent_position_id": "",
            "grade": GRADES[0],
            "fte": "1",
            "level": 0,
        }
    ]
    by_level: dict[tuple[str, int], list[str]] = {}
    for dept in DEPARTMENTS:
        rows.append(_position(rows, f"Head of {dept}", dept, "P0001", 1, "1"))
        by_level[(dept, 1)] = [rows[-1]["position_id"]]
    while len(rows) < POSITIONS:
        dept = rng.choice(list(DEPARTMENTS))
        level = rng.choices([2, 3, 4], weights=[1, 3, 12])[0]
        parents = by_level.get((dept, level - 1)) or by_level[(dept, 1)]
        title = {2: f"Director, {dept}", 3: f"{dept} Manager"}.get(level) or rng.choice(DEPARTMENTS[dept][1])
        fte = "0.5" if level == 4 and rng.random() < 0.08 else "1"
        rows.append(_position(rows, title, dept, rng.choice(parents), level, fte))
        by_level.setdefault((dept, level), []).append(rows[-1]["position_id"])
    return rows


def _position(rows: list[dict], title: str, dept: str, parent: str, level: int, fte: str) -> dict:
    return {
        "position_id": f"P{len(rows) + 1:04d}",
        "title": title,
        "department": dept,
        "parent_position_id": parent,
        "grade": GRADES[level],
        "fte": fte,
        "level": level,
    }


def people(rng: random.Random, posts: list[dict]) -> tuple[list[dict], list[dict]]:
    """One person per filled position (about 6% stay vacant); managers follow the position tree."""
    holder: dict[str, str] = {}
    people_rows, links = [], []
    used: set[str] = set()
    for post in posts:
        if post["level"] >= 3 and rng.random() < 0.06:
            continue  # vacant
        employee = f"E{10001 + len(people_rows)}"
        holder[post["position_id"]] = employee
        people_rows.append(_person(rng, employee, post, used))
        links.append({"from_id": employee, "to_id": post["position_id"], "allocation": post["fte"]})
    parent = {p["position_id"]: p["parent_position_id"] for p in posts}
    for person, post in zip(people_rows, (p for p in posts if p["position_id"] in holder), strict=True):
        up = parent[post["position_id"]]
        while up and up not in holder:
            up = parent[up]
        person["manager_id"] = holder.get(up, "")
    return people_rows, links


def _person(rng: random.Random, employee: str, post: dict, used: set[str]) -> dict:
    while True:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if f"{first} {last}" not in used:
            used.add(f"{first} {last}")
            break
    hired = date(2012, 1, 1) + timedelta(days=rng.randrange(0, 12 * 365))
    salary = round(BASE_SALARY[post["level"]] * rng.uniform(0.85, 1.25), -2) * float(post["fte"])
    return {
        "Employee Number": employee,
        "full_name": f"{first} {last}",
        "email": f"{first}.{last}".lower().replace("'", "") + "@acme.example",
        "department": post["department"],
        "location": rng.choice(LOCATIONS),
        "hire_date": hired.strftime("%d/%m/%Y"),
        "full_time": "yes" if post["fte"] == "1" else "no",
        "salary": f"{salary:.0f}",
        "manager_id": "",
    }


def write(name: str, rows: list[dict], columns: list[str]) -> None:
    with (DATA / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)
    posts = positions(rng)
    staff, links = people(rng, posts)
    DATA.mkdir(exist_ok=True)
    write(
        "positions.csv", posts, ["position_id", "title", "department", "parent_position_id", "grade", "fte"]
    )
    write(
        "people.csv",
        staff,
        [
            "Employee Number",
            "full_name",
            "email",
            "department",
            "location",
            "hire_date",
            "full_time",
            "salary",
            "manager_id",
        ],
    )
    write("assignments.csv", links, ["from_id", "to_id", "allocation"])
    print(f"{len(posts)} positions, {len(staff)} people, {len(links)} assignments -> {DATA}")


if __name__ == "__main__":
    main()
