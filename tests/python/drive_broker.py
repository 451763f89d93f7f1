"""Drive the broker from Python's own Socket.IO client (Debian's python3-socketio).

Usage: /usr/bin/python3 drive_broker.py URL TOKEN ZIP_PATH
Prints one JSON object with what it saw; exits non-zero on any surprise.
"""
import base64
import json
import sys
import threading

import socketio

url, token, zip_path = sys.argv[1], sys.argv[2], sys.argv[3]
sio = socketio.Client(reconnection=False)
ticks = []
got_ticks = threading.Event()


@sio.on("tick")
def on_tick(data):
    ticks.append(data)
    if len(ticks) == 3:
        got_ticks.set()


sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
with open(zip_path, "rb") as f:
    zip_bytes = f.read()
out = {}
out["update"] = sio.call("update", {"data": base64.b64encode(zip_bytes).decode()}, timeout=20)
out["start"] = sio.call("start", {}, timeout=20)
out["add"] = sio.call("process", {"params": {"object": "robot", "method": "add", "args": [2, 40]}}, timeout=20)
out["whole"] = sio.call("process", {"params": {"object": "robot", "method": "whole", "args": {"speed": 1}}}, timeout=20)
out["unknown"] = sio.call("process", {"params": {"object": "robot", "method": "__class__"}}, timeout=20)
out["push"] = sio.call("process", {"params": {"object": "robot", "method": "push", "args": [3]}}, timeout=20)
got_ticks.wait(10)
out["ticks"] = ticks
sio.disconnect()
print(json.dumps(out))
