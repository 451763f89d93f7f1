#!/usr/bin/env python3
"""Observe robot-control from Python with python-socketio, beside whoever drives.

Connects as an *observer* of the control lease (auth role "observer"): admitted while
the panel or another program holds the robot, it receives every event the robot
pushes, the broker's worker_status, who holds the lease (`control`) and the loaded
project's methods (`project`). It cannot upload, start or call methods (those answer
E_NOT_CONTROLLER), but it can press the emergency stop, which runs the project's
stop() hooks. When the link drops, python-socketio reconnects; the handshake then
carries the highest sequence number received, so the broker first replays what was
pushed meanwhile, or says what it no longer has (docs/REPLAY.md).

    python3 examples/python_observer.py --token TOKEN
    python3 examples/python_observer.py --token TOKEN --event odometry --count 5 --stop

Needs python-socketio and websocket-client:
    Debian/Ubuntu: apt-get install python3-socketio python3-websocket
    pip:           pip install "python-socketio<6" websocket-client

Exit codes: 0 ok, 1 a refused connection or a broker error, 2 usage, 3 missing packages.
"""
import argparse
import json
import os
import signal
import sys
import threading
import uuid

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

# The broker's own events; everything else is pushed by the robot.
BROKER_EVENTS = {"worker_status", "events_shed", "broker_error", "robot_log", "control", "project", "replay_info", "replay_gap"}
print_lock = threading.Lock()


def say(*parts):
    with print_lock:
        print(*parts, flush=True)


def dumps(value):
    return json.dumps(value, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("ROBOT_CONTROL_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("ROBOT_CONTROL_TOKEN"))
    parser.add_argument("--client-id", default=f"python-observer-{uuid.uuid4().hex[:8]}")
    parser.add_argument("--event", action="append", default=[], help="print only this robot event (repeatable; a broker event such as worker_status, if named)")
    parser.add_argument("--count", type=int, help="exit after this many robot (or --event) events (default: until Ctrl-C)")
    parser.add_argument("--stop", action="store_true", help="then press the emergency stop, and print what it stopped")
    parser.add_argument("--timeout", type=float, default=30, help="seconds to wait for the connection and for --count events")
    args = parser.parse_args()
    if not args.token:
        parser.error("no token: pass --token TOKEN or set ROBOT_CONTROL_TOKEN")

    sio = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=5)
    connected = threading.Event()
    done = threading.Event()
    refused = []
    seen = [0]

    @sio.on("connect")
    def on_connect():
        connected.set()

    @sio.on("connect_error")
    def on_connect_error(data=None):
        # The broker's refusals carry a code: {"message": "busy", "data": {"code": "E_BUSY", ...}}.
        info = data if isinstance(data, dict) else {"message": str(data)}
        code = (info.get("data") or {}).get("code", "?")
        refused.append(f"{code}: {info.get('message')}")
        connected.set()

    @sio.on("control")
    def on_control(state):
        # Who holds the lease: on connect and whenever it changes. `role` is this client's own.
        holder = state.get("controller") or "nobody"
        say(f"control: {holder} controls, {state.get('observers')} observers, I am {state.get('role')}")

    @sio.on("project")
    def on_project(listing):
        # The loaded project's objects and methods (what `start` answers), no start needed.
        say("project", dumps(listing["objects"]) if listing else "none loaded")

    # Where this client is in the broker's push stream: sent back on every reconnect.
    stream = {"epoch": None, "lastSeq": None}

    @sio.on("replay_info")
    def on_replay_info(info):
        # First on every connect: the broker run, its last seq, and how many missed events follow.
        stream["epoch"] = info["epoch"]
        stream["lastSeq"] = info["seq"] - info["replay"]
        if info["replay"]:
            say(f"replaying {info['replay']} events missed while disconnected")

    @sio.on("replay_gap")
    def on_replay_gap(gap):
        say(f"lost events {gap['from']}..{gap['to']} ({gap['reason']})")

    @sio.on("*")
    def on_event(event, data=None, meta=None):
        # With auth "meta", every pushed event comes with {seq, ts, reqId?}. python-socketio's
        # sync client runs each handler on a thread of its own: two events close together may
        # be handled (and printed) in either order. The seq says which came first, so the
        # position kept for a reconnect is the highest seen, never the last handled.
        if isinstance(meta, dict) and isinstance(meta.get("seq"), int):
            stream["lastSeq"] = max(stream["lastSeq"] or 0, meta["seq"])
        named = event in args.event
        if event in BROKER_EVENTS and not named:
            say("event", event, dumps(data))  # shown, not counted: --count counts the robot's events
            return
        if args.event and not named:
            return
        say("event", event, dumps(data), *([f"#{meta['seq']}"] if isinstance(meta, dict) else []))
        seen[0] += 1
        if args.count is not None and seen[0] >= args.count:
            done.set()

    # role "observer" makes this an observer; python-socketio calls auth() again on every reconnect.
    def auth():
        resume = {"lastSeq": stream["lastSeq"], "epoch": stream["epoch"]} if stream["epoch"] else {}
        return {"token": args.token, "clientId": args.client_id, "role": "observer", "meta": True, **resume}

    sio.connect(args.url, auth=auth, transports=["websocket"], wait=False)
    if not connected.wait(timeout=args.timeout) or refused:
        print(f"connection refused: {refused[0] if refused else 'no answer'}", file=sys.stderr)
        sio.disconnect()
        return 1
    say(f"observing {args.url} as {args.client_id}")
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        if args.count is None:
            done.wait()
        elif not done.wait(timeout=args.timeout):
            print(f"only {seen[0]} events in {args.timeout} s", file=sys.stderr)
            return 1
        if args.stop:
            # Any client may press it; the answer names the objects whose stop() ran.
            ack = sio.call("emergency_stop", {}, timeout=args.timeout)
            if ack.get("status") != "success":
                say(f"emergency_stop -> error {ack['data'].get('code')}: {ack.get('message')}")
                return 1
            say("emergency_stop ->", dumps(ack["data"]))
    finally:
        sio.disconnect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
