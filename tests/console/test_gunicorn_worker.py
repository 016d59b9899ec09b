"""The worker's gate for the application: first come, first served, never more at once than
its width (console/gunicorn_worker.py). Through gunicorn, tests/console/test_slow_clients.py
shows that clients still sending their request never hold it."""

import threading
import time

from console.gunicorn_worker import FifoGate

WAIT = 5.0  # seconds: far more than any step here takes


def _queued(gate: FifoGate, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(gate._waiting) < count:  # noqa: SLF001 - the queue is what is under test
        assert time.monotonic() < deadline, "a thread never reached the gate"
        time.sleep(0.001)


def test_a_freed_slot_goes_to_the_longest_waiter() -> None:
    gate = FifoGate(1)
    gate.enter()  # the slot is taken
    admitted: list[int] = []
    inside = threading.Semaphore(0)

    def request(number: int) -> None:
        gate.enter()
        admitted.append(number)
        inside.release()

    threads = []
    for number in range(6):  # they arrive in this order, each after the last is waiting
        thread = threading.Thread(target=request, args=(number,))
        thread.start()
        threads.append(thread)
        _queued(gate, number + 1)
    for _ in range(6):
        gate.leave()  # the holder's slot, then each admitted request's own
        assert inside.acquire(timeout=WAIT)
    for thread in threads:
        thread.join(WAIT)
    assert admitted == list(range(6))


def test_no_more_than_its_width_are_inside_at_once() -> None:
    gate = FifoGate(2)
    lock = threading.Lock()
    inside = most = 0

    def request() -> None:
        nonlocal inside, most
        for _ in range(200):
            gate.enter()
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0)
            with lock:
                inside -= 1
            gate.leave()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 4)
    assert most == 2
    assert gate._free == 2  # noqa: SLF001 - every slot given back


def test_a_request_that_comes_along_does_not_jump_the_queue() -> None:
    """The slot given back goes to the waiter, not to whoever asks next, even the thread
    that gave it back (a plain semaphore lets that thread take it again)."""
    gate = FifoGate(1)
    gate.enter()
    order: list[str] = []

    def waiter() -> None:
        gate.enter()
        order.append("waiter")
        gate.leave()

    thread = threading.Thread(target=waiter)
    thread.start()
    _queued(gate, 1)
    gate.leave()
    gate.enter()
    order.append("came along")
    gate.leave()
    thread.join(WAIT)
    assert order == ["waiter", "came along"]
