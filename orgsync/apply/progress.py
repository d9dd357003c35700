"""A progress bar per item step on a terminal (rich); nothing at all when output is not a TTY (CI logs)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from orgsync.apply.order import Step
from orgsync.escape import terminal

MIN_ITEMS_FOR_BAR = 1_000  # short steps finish before a bar would be read


class RichProgress:
    """Implements the executor's `Progress` with one rich bar per long item step."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            disable=not console.is_terminal,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def start(self, step: Step, total: int) -> None:
        if total >= MIN_ITEMS_FOR_BAR:
            self._tasks[step.id] = self._progress.add_task(terminal(step.id), total=total)

    def advance(self, step: Step, count: int) -> None:
        task = self._tasks.get(step.id)
        if task is not None:
            self._progress.advance(task, count)

    def finish(self, step: Step) -> None:
        task = self._tasks.pop(step.id, None)
        if task is not None:
            self._progress.stop_task(task)
