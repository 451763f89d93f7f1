#!/usr/bin/env python3
"""Drive robot-control from Python with python-socketio.

Connects with the broker's token, optionally uploads a project (a ZIP file or a
folder, zipped here), starts it, calls methods of the default simulated robot
(sport_client, recognition), and prints the events the robot pushes.

    python3 examples/python_client.py --token TOKEN
    python3 examples/python_client.py --token TOKEN --project storage/projects/default --events 5

Needs python-socketio and websocket-client:
    Debian/Ubuntu: apt-get install python3-socketio python3-websocket
    pip:           pip install "python-socketio<6" websocket-client

Exit codes: 0 ok, 1 a broker error or refused connection, 2 usage, 3 missing packages.
"""
import argparse
import io
import json
import os
import sys
import threading
import time
import uuid
import zipfile

try:
    import socketio
    import websocket  # noqa: F401  websocket-client: the transport python-socketio's sync client uses
except ImportError as exc:
    print(
        f"missing package ({exc.name}): apt-get install python3-socketio python3-websocket "
        '(or pip install "python-socketio<6" websocket-client)',
        file=sys.stderr,
    )
    sys.exit(3)

ENTRY_MODULES = ("main.js", "main.mjs", "main.cjs", "main.ts", "main.py")
SKIPPED_DIRS = {"node_modules", ".git", "__pycache__"}
print_lock = threading.Lock()


def say(*parts):
    with print_lock:
        print(*parts, flush=True)


def dumps(value):
    return json.dumps(value, sort_keys=True)


class BrokerError(Exception):
    """An error acknowledgement: `code` is the broker's stable error code (E_UNKNOWN_OBJECT, ...)."""

    def __init__(self, code, message, data):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


def zip_project(path):
    """The ZIP bytes of a .zip file, or of a project folder zipped like `robot-control pack`."""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            return f.read()
    if not any(os.path.isfile(os.path.join(path, e)) for e in ENTRY_MODULES):
        raise SystemExit(f"{path}: no entry module (one of {', '.join(ENTRY_MODULES)})")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for folder, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(files):
                full = os.path.join(folder, name)
                z.write(full, os.path.relpath(full, path).replace(os.sep, "/"))
    return buffer.getvalue()


class Robot:
    """One connection to the broker; `command` turns acknowledgements into values or BrokerError."""

    def __init__(self, url, token, client_id, timeout):
        self.url = url
        self.auth = {"token": token, "clientId": client_id}
        self.timeout = timeout
        self.refused = None
        self.answered = threading.Event()
        # python-socketio reconnects by itself after a dropped connection (backoff with jitter).
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=5)
        self.sio.on("connect", self.answered.set)
        self.sio.on("connect_error", self._connect_error)
        self.sio.on("disconnect", lambda: say("disconnected"))

    def _connect_error(self, data=None):
        # The broker refuses with {"message": "unauthorized"} or {"message": "busy"}.
        self.refused = data.get("message") if isinstance(data, dict) else str(data)
        self.answered.set()

    def _attempt(self):
        """One connection attempt: None when connected, else why not."""
        self.refused = None
        self.answered.clear()
        # wait=False, then wait for our own answer: python-socketio 5.7's wait=True sits out
        # its whole wait_timeout after a refusal.
        try:
            self.sio.connect(self.url, auth=self.auth, transports=["websocket"], wait=False)
        except socketio.exceptions.ConnectionError as exc:
            return str(exc)
        if self.answered.wait(timeout=self.timeout) and self.refused is None:
            return None
        self.sio.disconnect()
        return self.refused or "no answer from the broker"

    def connect(self, wait):
        """Connect; "busy" (another client holds the robot) is retried until `wait` seconds pass."""
        deadline = time.monotonic() + wait
        delay = 0.25
        while True:
            reason = self._attempt()
            if reason is None:
                return
            if reason != "busy" or time.monotonic() + delay > deadline:
                raise SystemExit(f"connection refused: {reason}")
            say(f"busy: another client holds the robot; retrying in {delay:.2f} s")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    def on(self, event, handler):
        self.sio.on(event, handler)

    def command(self, event, payload):
        ack = self.sio.call(event, payload, timeout=self.timeout)
        if ack.get("status") == "error":
            data = ack.get("data") or {}
            raise BrokerError(data.get("code", "E_INTERNAL"), ack.get("message", ""), data)
        return ack.get("data")

    def update(self, zip_bytes):
        # bytes travel as a binary attachment; base64 text works too ({"data": "UEsDB..."}).
        return self.command("update", {"data": zip_bytes})

    def start(self):
        return self.command("start", {})

    def call(self, obj, method, args=None):
        params = {"object": obj, "method": method}
        if args is not None:
            params["args"] = args  # list: positional arguments; dict: one argument
        return self.command("process", {"params": params})

    def close(self):
        self.sio.disconnect()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("ROBOT_CONTROL_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("ROBOT_CONTROL_TOKEN"))
    parser.add_argument("--client-id", default=f"python-{uuid.uuid4()}")
    parser.add_argument("--project", help="a .zip file or a project folder to upload first")
    parser.add_argument("--events", type=int, default=3, help="recognition_result events to wait for")
    parser.add_argument("--wait", type=float, default=10, help="seconds to keep trying while busy")
    parser.add_argument("--timeout", type=float, default=60, help="seconds per command")
    args = parser.parse_args()
    if not args.token:
        parser.error("no token: pass --token TOKEN or set ROBOT_CONTROL_TOKEN")

    robot = Robot(args.url, args.token, args.client_id, args.timeout)
    results = []
    got_enough = threading.Event()

    def on_recognition(data):
        results.append(data)
        say("event recognition_result", dumps(data))
        if len(results) >= args.events:
            got_enough.set()

    robot.on("recognition_result", on_recognition)
    # Every other event: the broker's worker_status, events_shed, broker_error, other robot pushes.
    robot.on("*", lambda event, data=None: say("event", event, dumps(data)))

    robot.connect(args.wait)
    say(f"connected to {args.url} as {args.client_id}")
    try:
        if args.project:
            say("update", dumps(robot.update(zip_project(args.project))))
        say("start", dumps(robot.start()))
        say("call sport_client.StandUp ->", dumps(robot.call("sport_client", "StandUp")))
        say("call sport_client.GetStatus ->", dumps(robot.call("sport_client", "GetStatus")))
        try:
            robot.call("sport_client", "Fly", [10])
        except BrokerError as err:
            say(f"call sport_client.Fly -> error {err.code}: {err.message}")
        say("call recognition.Start ->", dumps(robot.call("recognition", "Start", {"interval_ms": 100})))
        if not got_enough.wait(timeout=30):
            raise SystemExit(f"only {len(results)} recognition_result events in 30 s")
        say("call recognition.Stop ->", dumps(robot.call("recognition", "Stop")))
        say("call sport_client.StandDown ->", dumps(robot.call("sport_client", "StandDown")))
    except BrokerError as err:
        say(f"error {err.code}: {err.message}")
        return 1
    finally:
        robot.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
