"""Cancelling aio.import_file stops what it started: the worker thread that parses, and the child
process that reads a file in isolation, are gone when the cancelled coroutine ends."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import upflow_import as ui
from upflow_import import aio
from upflow_import.readers.isolation import _WORKER, isolation_available
from upflow_import.table import Row

ROWS = 100_000


class SlowRows:
    """The rows of a table that stop after ``PAUSE_AT`` rows until released, and remember how many
    were taken and whether their iterator was let go."""

    PAUSE_AT = 1000

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.paused = asyncio.Event()
        self.release = threading.Event()
        self.taken = 0
        self.finished = False

    def __call__(self) -> Iterator[Row]:
        try:
            for number in range(2, ROWS + 2):
                if self.taken == self.PAUSE_AT:
                    self.loop.call_soon_threadsafe(self.paused.set)
                    assert self.release.wait(30), "the test never released the rows"
                self.taken += 1
                yield Row(number, (f"C{number}", f"Client {number}"))
        finally:
            self.finished = True


def test_a_cancelled_import_stops_its_worker_thread_before_the_coroutine_ends() -> None:
    async def scenario() -> SlowRows:
        rows = SlowRows(asyncio.get_running_loop())
        table = ui.Table(format="csv", headers=["Code client", "Nom du client"], rows=rows)
        task = asyncio.create_task(aio.import_file(table, aio.AsyncInMemoryRepository()))
        await asyncio.wait_for(rows.paused.wait(), 30)
        task.cancel()
        await asyncio.sleep(0.05)  # the thread is still held by the rows: cancellation must wait for it
        assert not task.done()
        rows.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The coroutine ended only once the thread let the rows go, a few rows after the release.
        assert rows.finished
        return rows

    rows = asyncio.run(scenario())
    assert SlowRows.PAUSE_AT <= rows.taken <= SlowRows.PAUSE_AT + 512 < ROWS


def test_a_table_given_to_a_cancelled_import_reads_as_before() -> None:
    async def scenario() -> ui.Table:
        rows = SlowRows(asyncio.get_running_loop())
        table = ui.Table(format="csv", headers=["Code client", "Nom du client"], rows=rows)
        task = asyncio.create_task(aio.import_file(table, aio.AsyncInMemoryRepository()))
        await asyncio.wait_for(rows.paused.wait(), 30)
        task.cancel()
        rows.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return table

    table = asyncio.run(scenario())
    assert sum(1 for _ in table.rows) == ROWS


def test_a_cancelled_import_writes_nothing() -> None:
    async def scenario() -> aio.AsyncInMemoryRepository:
        rows = SlowRows(asyncio.get_running_loop())
        table = ui.Table(format="csv", headers=["Code client", "Nom du client"], rows=rows)
        repository = aio.AsyncInMemoryRepository(transactional=True)
        task = asyncio.create_task(aio.import_file(table, repository))
        await asyncio.wait_for(rows.paused.wait(), 30)
        task.cancel()
        rows.release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        return repository

    assert asyncio.run(scenario()).sync.clients() == []


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        found.update(int(child) for child in text.split())
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):  # gone between the open and the read
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not isolation_available() or not Path("/proc/self/task").is_dir(),
                    reason="needs isolation and Linux's /proc to see the reader's child")
def test_a_cancelled_isolated_read_kills_the_readers_child() -> None:
    lines = ["Code client;Nom du client;Ville;Email"]
    lines += [f"C{n};Client {n};Lyon;compta{n}@client.example.fr" for n in range(400_000)]
    data = "\n".join(lines).encode()
    started = time.perf_counter()
    ui.read_table(data, isolate=True)
    whole_read = time.perf_counter() - started

    async def scenario() -> tuple[int, float]:
        task = asyncio.create_task(aio.import_file(data, aio.AsyncInMemoryRepository(), isolate=True))
        deadline = time.monotonic() + 30
        child = None
        while child is None:
            assert time.monotonic() < deadline and not task.done(), "the reader's child never started"
            process = _WORKER._process
            if process is not None and os.path.isdir(f"/proc/{process.pid}"):
                child = next(iter(_children(process.pid)), None)
            await asyncio.sleep(0.002)
        cancelled = time.perf_counter()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return child, time.perf_counter() - cancelled

    child, stopping = asyncio.run(scenario())
    # The child was stopped, not waited for: the coroutine ended long before a whole read would have.
    assert stopping < whole_read / 2, (stopping, whole_read)
    deadline = time.monotonic() + 10
    while _alive(child):
        assert time.monotonic() < deadline, f"the reader's child {child} still runs after the cancellation"
        time.sleep(0.01)


def test_an_import_cancelled_while_writing_in_a_transaction_is_rolled_back() -> None:
    class Stalling(aio.AsyncInMemoryRepository):
        """Its third write waits until the test says so."""

        def __init__(self) -> None:
            super().__init__(transactional=True)
            self.writes = 0
            self.stalled = asyncio.Event()

        async def create_client(self, record: ui.ClientRecord, parent_id: object) -> int:
            self.writes += 1
            if self.writes == 3:
                self.stalled.set()
                await asyncio.Event().wait()  # never set: only a cancellation ends it
            return await super().create_client(record, parent_id)

    data = "Identifiant Client;Nom du client\n" + "".join(f"C{n};Client {n}\n" for n in range(5))

    async def scenario() -> Stalling:
        repository = Stalling()
        task = asyncio.create_task(aio.import_file(data.encode(), repository))
        await asyncio.wait_for(repository.stalled.wait(), 30)
        assert len(repository.sync.clients()) == 2  # written inside the transaction, not committed
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert repository.sync.clients() == []
        # The transaction is over: the next import of the same store is not kept waiting.
        repository.writes = 10
        report = await asyncio.wait_for(aio.import_file(data.encode(), repository), 30)
        assert report.ok and report.summary.clients.create == 5
        return repository

    assert len(asyncio.run(scenario()).sync.clients()) == 5
