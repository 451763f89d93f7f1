"""
robot-control Python runner: loads a project's main.py and serves the Node worker.

Started by worker/executors/python-child.ts as
    python3 python_runner.py
possibly before anyone knows which project it will run (a spare worker starts one
ahead of need); its first command names the project, whose folder then becomes the
working directory. It speaks JSON lines over two dedicated pipes (never stdout:
robot code's prints go to the logs):
    fd 3  Node -> runner  {"op": "load", "root": DIR, "entry": "main.py"} first,
                          then {"op": "call"|"stop"|"ping", "id": N, ...}
    fd 4  runner -> Node  {"t": "loaded"|"load_error"|"result"|"stopped"|"pong"|"push"|"log", ...}
Settings arrive in the ROBOT_CONTROL_RUNNER environment variable (JSON):
    {"reserved": [...], "maxEventName": 200, "maxMemoryMb": 512, "memoryAllowanceMb": 256}

Each call runs in a thread of its own (kept for later calls: Readers), so a long
call never blocks a later one;
`async def` methods run on one shared asyncio loop. push_message works from any
thread; pushes made while a call runs carry that call's request id.
Standard library only: Python 3.8+.
"""

import asyncio
import base64
import contextvars
import dataclasses
import importlib.util
import inspect
import json
import math
import os
import signal
import sys
import threading
import time
import traceback
import types

CMD_FD = 3
MSG_FD = 4
RUNNER_FILE = os.path.abspath(__file__)
ROOT = os.getcwd()  # the project folder (set by the load command in main)

SETTINGS = json.loads(os.environ.pop("ROBOT_CONTROL_RUNNER", "{}") or "{}")
RESERVED = frozenset(SETTINGS.get("reserved", []))
MAX_EVENT_NAME = int(SETTINGS.get("maxEventName", 200))

# The request id of the call running now (0 outside any call: timers, user threads).
current_request = contextvars.ContextVar("robot_control_request", default=0)


class RobotControlError(Exception):
    """An error with a broker code (E_RESERVED_EVENT, E_UNKNOWN_METHOD, ...)."""

    def __init__(self, code, message, **details):
        super().__init__(message)
        self.code = code
        self.details = details


# ------------------------------------------------------------------ the message pipe

_write_lock = threading.Lock()


def _jsonable(value, seen=None, depth=0):
    """A JSON-safe copy of `value`, as JSON.stringify would make it (NaN -> null)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 100:
        return None
    seen = seen if seen is not None else set()
    if id(value) in seen:
        return None
    seen.add(id(value))
    try:
        if isinstance(value, dict):
            return {str(k): _jsonable(v, seen, depth + 1) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [_jsonable(v, seen, depth + 1) for v in value]
        if isinstance(value, (bytes, bytearray, memoryview)):
            return base64.b64encode(bytes(value)).decode("ascii")
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return _jsonable(dataclasses.asdict(value), seen, depth + 1)
        if hasattr(value, "__dict__") and not isinstance(value, (type, types.ModuleType)):
            return {k: _jsonable(v, seen, depth + 1) for k, v in vars(value).items() if not callable(v)}
        return str(value)
    finally:
        seen.discard(id(value))


def _dumps(message):
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return json.dumps(_jsonable(message), allow_nan=False, separators=(",", ":"))


def send(message):
    data = (_dumps(message) + "\n").encode("utf-8")
    with _write_lock:
        view = memoryview(data)
        while view:
            written = os.write(MSG_FD, view)
            view = view[written:]


def log(level, msg, **fields):
    """A line in the worker's own log (not a robot print)."""
    send({"t": "log", "level": level, "msg": msg, **fields})


# ------------------------------------------------------------------ push_message


def push_message(event, data=None, qos="all"):
    """Send `data` to the connected client as the Socket.IO event `event`.

    qos="latest" (telemetry): when a client cannot keep up, only the newest event of
    this name is kept for it. "all" (the default): never dropped.
    """
    if qos not in ("all", "latest"):
        raise RobotControlError("E_INVALID_PAYLOAD", 'push_message: qos must be "all" (the default) or "latest"')
    if not isinstance(event, str) or not 0 < len(event) <= MAX_EVENT_NAME:
        raise RobotControlError(
            "E_INVALID_PAYLOAD", "push_message: the event name must be a string of 1 to %d characters" % MAX_EVENT_NAME
        )
    if event in RESERVED:
        raise RobotControlError("E_RESERVED_EVENT", 'push_message: "%s" is reserved and cannot be pushed' % event, event=event)
    msg = {"t": "push", "req": current_request.get(), "event": event, "data": _jsonable(data)}
    if qos == "latest":
        msg["qos"] = "latest"
    send(msg)


# ------------------------------------------------------------------ what is callable


def _stdlib_names():
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names) | {"builtins"}
    import pkgutil
    import sysconfig

    found = {m.name for m in pkgutil.iter_modules([sysconfig.get_paths()["stdlib"]])}
    return frozenset(found) | frozenset(sys.builtin_module_names) | {"builtins"}


STDLIB = _stdlib_names()


def is_system_class(cls):
    """Built-in and standard-library classes: their methods are never callable."""
    return cls is object or (getattr(cls, "__module__", None) or "builtins").split(".")[0] in STDLIB


def is_callable_name(name):
    return isinstance(name, str) and not name.startswith("_")


def is_robot_object(name, value):
    """Module-level instances of the project's own (or third-party) classes."""
    if not is_callable_name(name) or name == "push_message":
        return False
    if isinstance(value, (types.ModuleType, type)) or inspect.isroutine(value):
        return False
    return not is_system_class(type(value))


def methods_of(obj):
    """Own methods: instance attributes holding functions, then class methods up the MRO
    (skipping built-in and standard-library classes). Descriptors are read, never run."""
    names = []
    decided = set()
    for name, value in getattr(obj, "__dict__", {}).items():
        if not isinstance(name, str):
            continue
        decided.add(name)
        if is_callable_name(name) and isinstance(value, (types.FunctionType, types.MethodType)):
            names.append(name)
    for cls in type(obj).__mro__:
        if is_system_class(cls):
            continue
        for name, value in vars(cls).items():
            if name in decided:
                continue
            decided.add(name)
            if is_callable_name(name) and isinstance(value, (types.FunctionType, staticmethod, classmethod)):
                names.append(name)
    return names


# ------------------------------------------------------------------ method signatures

LIFECYCLE_HOOKS = frozenset(["stop"])
MAX_DOC = 2000


def _annotation(annotation):
    if annotation is inspect.Parameter.empty:
        return None
    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def _literal_type(value):
    if isinstance(value, bool):
        return "bool"
    for kind in (int, float, str, list, dict):
        if isinstance(value, kind):
            return kind.__name__
    return None


def describe_method(name, raw, bound=True):
    """inspect.signature and the docstring of one method, without running it (`raw` is the
    attribute as stored: a function, staticmethod or classmethod)."""
    fn = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
    info = {"params": [], "args": "object"}
    if name in LIFECYCLE_HOOKS:
        info["hook"] = True
    doc = inspect.getdoc(fn)
    if doc:
        info["doc"] = doc[:MAX_DOC]
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return info
    params = list(signature.parameters.values())
    # The instance (or class) is bound by the call, not passed by the client.
    if bound and not isinstance(raw, staticmethod) and params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        params = params[1:]
    # Keywords when they help (defaults to skip, keyword-only parameters), else positional, as in JavaScript.
    keywords = any(p.default is not inspect.Parameter.empty or p.kind == p.KEYWORD_ONLY for p in params)
    if not keywords or any(p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL) for p in params):
        info["args"] = "array"  # keywords cannot reach positional-only or *args parameters
    for p in params:
        if p.kind == p.VAR_KEYWORD:
            continue
        entry = {"name": ("*" + p.name) if p.kind == p.VAR_POSITIONAL else p.name}
        kind = _annotation(p.annotation)
        if p.default is not inspect.Parameter.empty:
            entry["optional"] = True
            entry["default"] = repr(p.default)
            kind = kind or _literal_type(p.default)
        elif p.kind == p.VAR_POSITIONAL:
            entry["optional"] = True
        if kind:
            entry["type"] = kind
        info["params"].append(entry)
    if not info["params"]:
        info["args"] = "array"
    return info


# ------------------------------------------------------------------ loading


class Project:
    def __init__(self, root, module):
        self.root = root
        self.module = module
        self.objects = {}
        for name, value in list(vars(module).items()):
            if is_robot_object(name, value):
                self.objects[name] = (value, methods_of(value))
        stop = vars(module).get("stop")
        self.module_stop = stop if inspect.isroutine(stop) else None

    def listing(self):
        return {name: list(methods) for name, (_, methods) in self.objects.items()}

    def describe(self):
        """Each object's methods with their parameters and docstrings (the start ack's `methods`)."""
        out = {}
        for name, (target, methods) in self.objects.items():
            out[name] = {}
            for method in methods:
                try:
                    own = method in getattr(target, "__dict__", {})  # a function stored on the instance: no self
                    out[name][method] = describe_method(method, inspect.getattr_static(target, method), bound=not own)
                except Exception:  # describing must never fail a load
                    out[name][method] = {"params": [], "args": "array"}
        return out

    def resolve(self, object_name, method):
        entry = self.objects.get(object_name)
        if entry is None:
            raise RobotControlError(
                "E_UNKNOWN_OBJECT", 'no object "%s" in the project' % object_name, object=object_name, objects=list(self.objects)
            )
        target, methods = entry
        if method not in methods:
            raise RobotControlError(
                "E_UNKNOWN_METHOD", '"%s" has no method "%s"' % (object_name, method), object=object_name, method=method, methods=methods
            )
        return getattr(target, method)


def _in_project(root, filename):
    try:
        path = os.path.realpath(filename)
    except (TypeError, ValueError):
        return None
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else None


def load_error(root, entry, exc):
    """Where a failed import went wrong: the innermost line of the project's own code."""
    file, line = None, None
    if isinstance(exc, SyntaxError) and exc.filename:
        file, line = _in_project(root, exc.filename), exc.lineno
        if file is None:
            line = None
    if file is None:
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            rel = _in_project(root, frame.f_code.co_filename)
            if rel is not None:
                file, line = rel, lineno
    message = exc.msg if isinstance(exc, SyntaxError) and exc.msg else str(exc)
    return {
        "t": "load_error",
        "file": file or entry,
        "line": line,
        "name": type(exc).__name__,
        "message": message or type(exc).__name__,
        "stack": format_traceback(exc),
    }


def inject_push_message(root, main_module):
    """Replace `push_message = None` in main.py and in any project module declaring it."""
    main_module.push_message = push_message
    for module in list(sys.modules.values()):
        file = getattr(module, "__file__", None)
        if file and module is not main_module and _in_project(root, file) and getattr(module, "push_message", 0) is None:
            module.push_message = push_message


def load(root, entry):
    # The project's folder replaces the runner's own as sys.path[0], as if main.py were run.
    sys.path[0] = root
    spec = importlib.util.spec_from_file_location(os.path.splitext(entry)[0], os.path.join(root, entry))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    # Injected before and after: code that runs at import sees it until its own `push_message = None`.
    module.push_message = push_message
    spec.loader.exec_module(module)
    inject_push_message(root, module)
    return Project(root, module)


# ------------------------------------------------------------------ calls and stop hooks

loop = asyncio.new_event_loop()


def _loop_error(_loop, context):
    exc = context.get("exception")
    log("error", "robot asyncio task failed: %s" % context.get("message", ""), error=_error_dict(exc) if exc else None)


def _run_loop():
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_loop_error)
    loop.run_forever()


async def _awaited(awaitable):
    return await awaitable


def settle(result, timeout=None):
    """Await a coroutine (or any awaitable) on the shared loop; plain values pass through."""
    if inspect.isawaitable(result):
        coro = result if inspect.iscoroutine(result) else _awaited(result)
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)
    return result


def format_traceback(exc):
    """The traceback of robot code only: no runner or importlib frames, project paths relative."""
    frames = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == RUNNER_FILE or frame.filename.startswith("<frozen"):
            continue
        frame.filename = _in_project(ROOT, frame.filename) or frame.filename
        frames.append(frame)
    if isinstance(exc, SyntaxError) and exc.filename:
        exc.filename = _in_project(ROOT, exc.filename) or exc.filename
    head = ["Traceback (most recent call last):\n"] + traceback.format_list(frames) if frames else []
    return "".join(head + traceback.format_exception_only(type(exc), exc))


def error_location(exc):
    """The innermost line of the project's own code the exception passed through, or None."""
    found = None
    if isinstance(exc, SyntaxError) and exc.filename and _in_project(ROOT, exc.filename) and exc.lineno:
        return {"file": _in_project(ROOT, exc.filename), "line": exc.lineno}
    for frame in traceback.extract_tb(exc.__traceback__):
        rel = _in_project(ROOT, frame.filename)
        if rel is not None and "site-packages" not in rel.split(os.sep):
            found = {"file": rel, "line": frame.lineno}
            colno = getattr(frame, "colno", None)  # Python 3.11+
            if colno is not None:
                found["column"] = colno + 1
    return found


def _error_dict(exc):
    error = {"name": type(exc).__name__, "message": str(exc) or type(exc).__name__, "stack": format_traceback(exc)}
    location = error_location(exc)
    if location:
        error["location"] = location
    return error


def run_call(project, msg):
    current_request.set(msg.get("req", 0))
    try:
        fn = project.resolve(msg.get("object"), msg.get("method"))
        args = msg.get("args")
        if args is None:
            result = fn()
        elif isinstance(args, list):
            result = fn(*args)
        else:
            result = fn(**args)
        send({"t": "result", "id": msg["id"], "ok": True, "value": _jsonable(settle(result))})
    except RobotControlError as exc:
        send({"t": "result", "id": msg["id"], "ok": False, "code": exc.code, "details": exc.details, "error": _error_dict(exc)})
    except BaseException as exc:  # SystemExit and KeyboardInterrupt from robot code fail the call, not the runner
        send({"t": "result", "id": msg["id"], "ok": False, "code": "E_METHOD_FAILED", "error": _error_dict(exc)})


def run_stop_hooks(project, msg):
    """Every object's stop(), then the module-level stop(), within the deadline."""
    deadline = time.monotonic() + msg.get("timeoutMs", 5000) / 1000
    hooks = [("%s.stop" % name, lambda t=target: t.stop()) for name, (target, methods) in project.objects.items() if "stop" in methods]
    if project.module_stop is not None:
        hooks.append(("stop", project.module_stop))
    ran, errors = [], []
    for name, hook in hooks:
        outcome = {}

        def run(hook=hook, outcome=outcome):
            try:
                settle(hook(), max(deadline - time.monotonic(), 0))
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=run, name="stop-hook", daemon=True)
        thread.start()
        thread.join(max(deadline - time.monotonic(), 0))
        ran.append(name)
        if thread.is_alive():
            errors.append({"hook": name, "name": "TimeoutError", "message": "%s did not finish in time" % name})
        elif "error" in outcome:
            errors.append({"hook": name, **_error_dict(outcome["error"])})
    send({"t": "stopped", "id": msg["id"], "ran": ran, "errors": errors})


class Readers:
    """The threads that serve commands, leader/follower: one thread at a time reads the
    command pipe (the leader); having read a command it lets the next idle thread read
    and runs the command itself, so a call never waits for a hand-off to another thread
    (on an idle machine each wake-up of another thread costs tens of microseconds).
    Any number of calls run at once: when no idle thread is left to read, one is
    started. Each command runs in a fresh contextvars context, so nothing one call sets
    there is seen by the next. At most MAX_IDLE threads stay idle; more exit once their
    command is done."""

    MAX_IDLE = 8

    def __init__(self, commands, handle):
        self._commands = commands
        self._handle = handle
        self._read = threading.Lock()  # held by the leader while it reads
        self._lock = threading.Lock()  # guards the counts
        self._waiting = 0  # threads waiting to read, the leader included
        self._started = 0

    def start(self):
        with self._lock:
            self._waiting += 1
        self._spawn()

    def _spawn(self):
        with self._lock:
            self._started += 1
            name = "call-%d" % self._started
        threading.Thread(target=self._serve, name=name, daemon=True).start()

    def _serve(self):
        while True:
            with self._read:
                raw = self._commands.readline()
            if not raw:
                os._exit(0)  # Node closed the pipe: it is gone
            with self._lock:
                self._waiting -= 1
                nobody = self._waiting == 0
                if nobody:
                    self._waiting += 1  # counted now: the next command is never left unread
            if nobody:
                self._spawn()
            contextvars.Context().run(self._handle, raw)
            with self._lock:
                if self._waiting >= self.MAX_IDLE:
                    return
                self._waiting += 1


def serve(project, commands):
    """Serve commands until Node closes the pipe; then exit at once (Node is gone)."""

    def handle(raw):
        try:
            msg = json.loads(raw)
        except ValueError:
            log("warn", "python runner: unreadable command")
            return
        op = msg.get("op")
        if op == "ping":
            send({"t": "pong", "id": msg["id"]})
        elif op == "call":
            run_call(project, msg)
        elif op == "stop":
            run_stop_hooks(project, msg)
        else:
            log("warn", "python runner: unknown op %r" % (op,))

    Readers(commands, handle).start()
    threading.Event().wait()  # the readers run the show; this thread only keeps the process up


# ------------------------------------------------------------------ process set-up


def limit_memory():
    mb = SETTINGS.get("maxMemoryMb")
    if not mb:
        return
    try:
        import resource

        limit = (int(mb) + int(SETTINGS.get("memoryAllowanceMb", 0))) * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError) as exc:
        log("warn", "python runner: could not set the memory limit: %s" % exc)


def die_with_parent():
    """Linux: SIGKILL this process when the Node worker dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def thread_excepthook(args):
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread else "?"
    log("error", "uncaught exception in robot thread %s" % name, error=_error_dict(args.exc_value))


def wait_for_load(commands):
    """The interpreter starts before it knows its project (it may be started ahead of
    need): the first command names it. None if Node went away first."""
    raw = commands.readline()
    if not raw:
        return None
    msg = json.loads(raw)
    if msg.get("op") != "load":
        log("error", "python runner: expected load first, got %r" % (msg.get("op"),))
        return None
    return os.path.realpath(msg["root"]), msg["entry"]


def main():
    global ROOT
    # Ctrl-C in the broker's terminal reaches the whole process group: the worker decides when we go.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    for fd in (CMD_FD, MSG_FD):
        os.set_inheritable(fd, False)  # robot subprocesses must not hold our pipes
    limit_memory()
    threading.excepthook = thread_excepthook
    threading.Thread(target=_run_loop, name="asyncio", daemon=True).start()
    commands = os.fdopen(CMD_FD, "rb")
    assigned = wait_for_load(commands)
    if assigned is None:
        os._exit(0)
    root, entry = assigned
    ROOT = root
    os.chdir(root)
    try:
        project = load(root, entry)
    except BaseException as exc:
        send(load_error(root, entry, exc))
        os._exit(0)
    send({"t": "loaded", "objects": project.listing(), "methods": project.describe(), "moduleStop": project.module_stop is not None})
    serve(project, commands)


if __name__ == "__main__":
    main()
