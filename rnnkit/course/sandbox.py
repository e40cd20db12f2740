"""The grader's sandbox: a student's kernel under bubblewrap, with resource limits.

The kernel sees the file system read-only, an empty ``/tmp`` (but for the Python environment
and data sets, where they live there) and one scratch folder it may write; the folders named
in ``hidden`` (the instructor's chapters, the submissions, where the grades go) are covered by
empty folders. It runs in new PID, network, IPC and UTS namespaces, so it sees no other process
and has no network; it talks to the grader over Unix sockets in the scratch folder (ZeroMQ's
``ipc`` transport), which need no network. Limits: address space and file size (``prlimit``),
and, where the pids cgroup is writable (root on cgroup v1 or v2), the number of processes and
threads. Time limits are the grader's (per cell and per notebook). This module never imports
TensorFlow.
"""

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

MEMORY_BYTES = 6 * 2**30  # address space; TensorFlow alone reserves about 2 GiB of it
FILE_BYTES = 256 * 2**20  # the largest file the kernel may write
MAX_TASKS = 512  # processes and threads (TensorFlow starts a few dozen threads)
INSTALL_HINT = (
    "bubblewrap is not installed: install it (Debian/Ubuntu: sudo apt-get install bubblewrap; "
    "Fedora: sudo dnf install bubblewrap), or pass --no-sandbox to grade without isolation "
    "(only for submissions you trust)"
)
_PIDS_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def available() -> str:
    """ "" when the sandbox works on this machine, else a message saying why not and what to do."""
    if shutil.which("bwrap") is None or shutil.which("prlimit") is None:
        return INSTALL_HINT
    probe = subprocess.run(
        [*_bwrap([], Path("/")), "true"], capture_output=True, text=True, timeout=30
    )
    if probe.returncode != 0:
        reason = probe.stderr.strip().splitlines()[-1:] or [f"exit status {probe.returncode}"]
        return f"bubblewrap cannot create a sandbox here ({reason[0]}); {INSTALL_HINT}"
    return ""


def _needed_under_tmp() -> list[Path]:
    """What the kernel needs that lives under ``/tmp``, which the sandbox covers with a tmpfs.

    A checkout or virtual environment under ``/tmp`` (a CI clone, say) would otherwise vanish:
    the interpreter, its import path, the rnnkit package and the data-set folder come back
    read-only. The hidden folders are covered afterwards, so they stay hidden even inside these.
    """
    here = Path(__file__).resolve().parents[1]  # the rnnkit package (an editable install's too)
    places = [sys.prefix, sys.base_prefix, Path(sys.executable).parent, here, *sys.path]
    data = os.environ.get("RNNKIT_DATA_DIR")
    places += [data] if data else []
    tmp = Path("/tmp").resolve()
    found = set()
    for place in places:
        path = Path(place).resolve() if place else None
        if path is not None and path.exists() and path != tmp and path.is_relative_to(tmp):
            found.add(path)
    # A folder inside another one that is bound anyway needs no bind of its own.
    return sorted(p for p in found if not any(p != q and p.is_relative_to(q) for q in found))


def _bwrap(hidden, scratch: Path) -> list[str]:
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
    for needed in _needed_under_tmp():
        args += ["--ro-bind", str(needed), str(needed)]
    for folder in sorted({Path(h).resolve() for h in hidden}):
        if folder.is_dir() and folder != Path("/"):
            args += ["--tmpfs", str(folder)]
    if scratch != Path("/"):
        args += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    return args + [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",  # no way to push keystrokes into the grader's terminal
        # ipykernel exits when its parent looks gone; in a PID namespace the parent is PID 1.
        "--setenv",
        "JPY_PARENT_PID",
        "1",
    ]


class PidsLimit:
    """A pids cgroup that caps processes and threads, or nothing where none can be made."""

    def __init__(self, max_tasks: int = MAX_TASKS):
        self.path = None
        for root in _PIDS_ROOTS:
            if (root / "cgroup.procs").exists() and os.access(root, os.W_OK):
                path = root / f"rnnkit-grade-{uuid.uuid4().hex[:12]}"
                try:
                    path.mkdir()
                    (path / "pids.max").write_text(str(max_tasks))
                except OSError:
                    if path.exists():
                        path.rmdir()
                    continue
                self.path = path
                break

    def prefix(self) -> list[str]:
        """A command prefix that moves the process into the cgroup before it runs the rest."""
        if self.path is None:
            return []
        procs = self.path / "cgroup.procs"
        return ["sh", "-c", f'echo $$ > "{procs}" && exec "$@"', "sh"]

    def close(self) -> None:
        """Kill whatever is left in the cgroup and remove it."""
        if self.path is None:
            return
        for _ in range(50):
            try:
                pids = (self.path / "cgroup.procs").read_text().split()
            except OSError:
                break
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (ProcessLookupError, ValueError):
                    pass
        try:
            self.path.rmdir()
        except OSError:
            pass  # a task still exiting; the kernel removes empty cgroups on the next attempt
        self.path = None


def wrap(command: list[str], scratch: Path, hidden, limit: PidsLimit | None) -> list[str]:
    """``command`` run in the sandbox, writing only to ``scratch``, with ``hidden`` covered.

    bubblewrap reads its options from a file next to ``scratch`` (outside the sandbox), so that
    the command line a sandboxed process can read in ``/proc`` does not name the hidden folders.
    """
    options = _bwrap(hidden, Path(scratch))[1:]
    options_file = Path(scratch).parent / "sandbox-options"
    options_file.write_bytes(b"".join(os.fsencode(o) + b"\0" for o in options))
    launcher = ["sh", "-c", 'exec 3<"$1" && shift && exec bwrap --args 3 "$@"', "sh"]
    limits = ["prlimit", f"--as={MEMORY_BYTES}", f"--fsize={FILE_BYTES}", "--core=0", "--"]
    prefix = limit.prefix() if limit is not None else []
    return [*prefix, *limits, *launcher, str(options_file), *command]


def kernel_manager(scratch: Path, hidden, limit: PidsLimit):
    """A jupyter_client kernel manager whose kernel starts in the sandbox, talking over ipc."""
    # nbclient drives kernels from an event loop: a blocking manager's client would stall that
    # loop on the first silent cell, and the cell timeout would never fire.
    from jupyter_client import AsyncKernelManager

    class SandboxedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            return wrap(super().format_kernel_cmd(extra_arguments), scratch, hidden, limit)

    manager = SandboxedKernelManager(
        kernel_name="python3", transport="ipc", ip=str(Path(scratch) / "kernel")
    )
    manager.connection_file = str(Path(scratch) / "kernel.json")
    return manager
