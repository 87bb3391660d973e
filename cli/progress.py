"""A live progress display for long commands (imports, `campaigns watch`): one bar per
counter with count, rate and ETA, drawn by `rich` on stderr so stdout stays for results.
Off a terminal (or with `--json`) it draws nothing; the command prints its own lines."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Items per second (rich's own speed column speaks bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f}/s" if speed else "-/s", style="progress.data.speed")


class ProgressDisplay:
    def __init__(self, *, enabled: bool = True, console: Console | None = None) -> None:
        console = console or Console(stderr=True)
        self.enabled = enabled and console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            disable=not self.enabled,
        )

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def add(self, label: str, total: int | None = None) -> TaskID:
        return self._progress.add_task(label, total=total)

    def update(self, task: TaskID, completed: int, total: int | None = None) -> None:
        self._progress.update(task, completed=completed, total=total)

    def advance(self, task: TaskID, amount: int = 1) -> None:
        self._progress.advance(task, amount)
