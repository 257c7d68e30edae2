"""`make run`'s gateway and worker together, until Ctrl-C: then both stop and it ends with 0.

    python -m gateway.devrun [--host 127.0.0.1] [--port 5000]

The worker outlives any fault of its own; should it still end (killed, out of memory) it is
started again after a pause, and the gateway never goes down with it.

Ctrl-C in a terminal interrupts the whole foreground process group, `make` included, and
`make` dies of it with an error of its own whatever its recipe does. So, on a terminal, this
runner takes the foreground for its own process group (the gateway and the worker are in
it) and gives it back when it ends: Ctrl-C reaches only them, and `make` sees its recipe
end well.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

from settings import INSTANCE_DIR, shared_metrics_directory
from telemetry.multiprocess import prepare

RESTART_PAUSE_SECONDS = 5.0


@contextlib.contextmanager
def foreground() -> Iterator[None]:
    """This process group in the terminal's foreground while the block runs (on a tty)."""
    if not os.isatty(sys.stdin.fileno()):
        yield
        return
    terminal = sys.stdin.fileno()
    before = os.tcgetpgrp(terminal)
    if os.getpgrp() == os.getpid():  # a group of its own already (started from a shell)
        yield
        return
    os.setpgid(0, 0)
    hush = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not ask
    try:
        os.tcsetpgrp(terminal, os.getpgrp())
        yield
    finally:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(terminal, before)
        signal.signal(signal.SIGTTOU, hush)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.devrun", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5000")
    args = parser.parse_args(argv)
    flask = [sys.executable, "-m", "flask", "--app", "gateway"]
    # The gateway's and the worker's counts in one directory, so that /metrics adds them up.
    prepare(shared_metrics_directory(INSTANCE_DIR / "prometheus"))
    stop = threading.Event()
    gateway_ended = False
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    with foreground():
        gateway = subprocess.Popen([*flask, "run", "--host", args.host, "--port", args.port])
        worker = subprocess.Popen([*flask, "worker"])
        while not stop.is_set():
            if gateway.poll() is not None:
                print(f"The gateway ended (exit {gateway.returncode}).", file=sys.stderr)
                gateway_ended = True
                break
            elif worker.poll() is not None:
                print(
                    f"The worker ended (exit {worker.returncode}); starting it again in "
                    f"{RESTART_PAUSE_SECONDS:.0f} s.",
                    file=sys.stderr,
                )
                if not stop.wait(RESTART_PAUSE_SECONDS):
                    worker = subprocess.Popen([*flask, "worker"])
            stop.wait(0.5)
        for process in (worker, gateway):
            if process.poll() is None:
                process.terminate()
        for process in (worker, gateway):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    print("Telepasar stopped.")
    return 1 if gateway_ended else 0  # Ctrl-C (or SIGTERM) is how it is meant to end


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

if __name__ == "__main__":
    sys.exit(main())
