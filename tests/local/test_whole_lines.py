"""`ecrm serve` prints each line whole, whichever thread prints it (`activity.WholeLines`)."""

from __future__ import annotations

import io
import threading

from local.activity import WholeLines


def test_a_line_another_thread_writes_between_a_prints_two_writes_stays_apart() -> None:
    """print() writes "text" then "\\n": a metrics line printed on one thread and a log line
    on another came out as `{...}{...}` (ci-20: test_serve_output's JSONDecodeError)."""
    out = io.StringIO()
    stream = WholeLines(out)
    half_printed, other_written = threading.Event(), threading.Event()

    def print_in_two_writes() -> None:
        stream.write('{"metric":1}')
        half_printed.set()
        other_written.wait(5)
        stream.write("\n")

    def write_a_line() -> None:
        half_printed.wait(5)
        stream.write('{"log":2}\n')
        other_written.set()

    threads = [threading.Thread(target=print_in_two_writes), threading.Thread(target=write_a_line)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert out.getvalue().splitlines() == ['{"log":2}', '{"metric":1}']


def test_print_writes_its_line_once_it_ends_and_keeps_every_line() -> None:
    out = io.StringIO()
    stream = WholeLines(out)
    print("one", "two", file=stream)
    stream.write("three\nfour")
    assert out.getvalue() == "one two\nthree\n"
    print(file=stream)
    assert out.getvalue() == "one two\nthree\nfour\n"
