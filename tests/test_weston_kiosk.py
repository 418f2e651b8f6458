"""The installed wheel boots the kiosk under a real Wayland compositor, and comes back after SIGKILL.

What it does, end to end, with real components only:
1. builds the wheel from a clean copy of the tree (tests/wheelbuild.py; nothing is written into the source) and
   installs it into a fresh venv in a temporary folder outside the repo (dependencies from a local wheelhouse,
   filled once from the package index, so later runs need no network);
2. starts weston 10 headless (pixman, fullscreen-shell, 1024×600) as an unprivileged user, because weston
   refuses root: `nobody` when the test runs as root, else the current user;
3. starts `ipc-hmi --demo --kiosk` from that venv as the same user on Qt's wayland platform, with
   $NOTIFY_SOCKET pointing at a socket of the test, and waits for READY=1 (the first screen is drawn);
4. takes a screenshot with weston-screenshooter and checks it: the size of weston's output, and the same
   picture as the console's own `--screenshot` of the same version at the same size (rendered offscreen by
   the same venv). That second check is what shows the running version id and the headline: they are part of
   the reference picture, and a blank, half-drawn or wrongly scaled screen differs from it in far more pixels
   than the tolerance allows;
5. kills the console with SIGKILL, checks the screen is empty (so the next picture is the new process's),
   starts it again and checks the screen again.

Every process is started here and stopped here by its PID; every wait is bounded. Needs weston and the Wayland
client libraries: installed with apt when missing and running as root, else the test fails with the command.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.syspkg import need_libraries, need_tool
from tests.wheelbuild import build_wheel

ROOT = Path(__file__).resolve().parent.parent
SIZE = (1024, 600)
WAYLAND_LIBRARIES = {
    "wayland-client": "libwayland-client0",
    "wayland-cursor": "libwayland-cursor0",
    "wayland-egl": "libwayland-egl1",
    "xkbcommon": "libxkbcommon0",
}
# The weston screenshot against the console's own picture: a pixel differs when a channel differs by more than
TOLERANCE = 40
# Below the status bar (its top BAR_ROWS rows show the embedded mock's random port and where keyboard focus is)
# at most MAX_STRAY pixels may differ; the version id one digit off is about 130 pixels at this size. On the
# whole screen at most MAX_DIFFERENT of the pixels.
BAR_ROWS = 72  # the bar with its 48 px language button and History's focus ring ends at row 64 (1024×600)
MAX_STRAY = 20
MAX_DIFFERENT = 0.03
WHEELHOUSE = Path(os.environ.get("IPC_HMI_WHEELHOUSE", Path.home() / ".cache" / "ipc-hmi" / "wheelhouse"))

pytestmark = pytest.mark.slow


class User:
    """Who runs weston and the console: `nobody` as root, else the current user (already unprivileged)."""

    def __init__(self) -> None:
        entry = pwd.getpwnam("nobody") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
        self.name, self.uid, self.gid = entry.pw_name, entry.pw_uid, entry.pw_gid

    def popen_args(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path, mode: int) -> Path:
        path.mkdir(mode=mode)
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)
        os.chmod(path, mode)
        return path


def _interpreter(user: User) -> str:
    """A Python >= 3.11 the user can run: this one's base interpreter, else the system's python3."""
    candidates = [getattr(sys, "_base_executable", sys.executable), "/usr/bin/python3"]
    probe = "import sys, venv; sys.exit(sys.version_info < (3, 11))"
    tried = []
    for python in dict.fromkeys(os.path.realpath(c) for c in candidates if c):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            if (
                subprocess.run([python, "-c", probe], timeout=30, capture_output=True, **user.popen_args()).returncode
                == 0
            ):
                return python
        tried.append(python)
    pytest.fail(
        f"no Python >= 3.11 with the venv module that user {user.name!r} may run (tried {', '.join(tried)}): "
        "install one with 'apt-get install python3 python3-venv'"
    )


def _install(wheel: Path, venv: Path, python: str) -> Path:
    """A fresh venv at `venv` with the wheel and its dependencies; the dependencies come from WHEELHOUSE."""
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60, capture_output=True)
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")]
    local = [*pip, "install", "-q", "--no-index", "--find-links", str(WHEELHOUSE), str(wheel)]
    if subprocess.run(local, timeout=300, capture_output=True).returncode != 0:
        # First run on this machine, or new pins: fetch the dependencies once through pip's own index and cache.
        WHEELHOUSE.mkdir(parents=True, exist_ok=True)
        fetched = subprocess.run(
            [*pip, "download", "-q", "-d", str(WHEELHOUSE), str(wheel)], timeout=600, capture_output=True, text=True
        )
        assert fetched.returncode == 0, f"pip download of the dependencies failed: {fetched.stderr[-800:]}"
        for own in WHEELHOUSE.glob("ipc_hmi-*.whl"):
            own.unlink()
        done = subprocess.run(local, timeout=300, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-800:]
    return venv / "bin" / "ipc-hmi"


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-1500:] if path.exists() else ""


class Session:
    """weston and the console, as the unprivileged user, in one temporary folder."""

    def __init__(self, work: Path, user: User, console: Path) -> None:
        self.work, self.user, self.console = work, user, console
        self.runtime = user.own(work / "run", 0o700)  # XDG_RUNTIME_DIR: Wayland wants 0700, owned by the user
        self.home = user.own(work / "home", 0o700)
        self.shots = user.own(work / "shots", 0o700)
        self.weston: subprocess.Popen[bytes] | None = None
        self.app: subprocess.Popen[bytes] | None = None
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.notify_name = f"ipc-hmi-test-{os.getpid()}-{id(self)}"
        self.notify.bind("\0" + self.notify_name)  # abstract: any user may send to it, nothing on disk
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "LANG": "C.UTF-8",
            "WAYLAND_DISPLAY": "wayland-1",
        }
        self.runs = 0
        self.shot_count = 0

    def _popen(self, cmd: list[str], log: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[bytes]:
        with open(self.work / log, "ab") as out:
            return subprocess.Popen(
                cmd, env=env, cwd=cwd or self.home, stdout=out, stderr=subprocess.STDOUT, **self.user.popen_args()
            )

    def start_weston(self, weston: str) -> None:
        self.weston = self._popen(
            [
                weston,
                "--backend=headless-backend.so",
                "--shell=fullscreen-shell.so",
                f"--width={SIZE[0]}",
                f"--height={SIZE[1]}",
                "--use-pixman",
                "--socket=wayland-1",
                "--idle-time=0",
                "--no-config",
                "--debug",  # lets weston-screenshooter take pictures
            ],
            "weston.log",
            self.env,
        )
        deadline = time.monotonic() + 20
        while not (self.runtime / "wayland-1").exists():
            assert self.weston.poll() is None, (
                f"weston exited with {self.weston.returncode}: {_tail(self.work / 'weston.log')}"
            )
            assert time.monotonic() < deadline, f"weston made no socket in 20 s: {_tail(self.work / 'weston.log')}"
            time.sleep(0.05)

    def start_console(self) -> None:
        self.runs += 1
        env = {
            **self.env,
            "QT_QPA_PLATFORM": "wayland",
            "QT_WAYLAND_SHELL_INTEGRATION": "fullscreen-shell-v1",
            "NOTIFY_SOCKET": "@" + self.notify_name,
            "QT_ACCESSIBILITY": "0",
        }
        self.app = self._popen([str(self.console), "--demo", "--kiosk"], f"console-{self.runs}.log", env)
        self.notify.settimeout(0.5)
        deadline = time.monotonic() + 60
        while True:
            assert self.app.poll() is None, f"the console exited with {self.app.returncode}: {self.console_log()}"
            assert time.monotonic() < deadline, f"no READY=1 from the console in 60 s: {self.console_log()}"
            with contextlib.suppress(TimeoutError):
                if b"READY=1" in self.notify.recv(4096).split(b"\n"):
                    return

    def console_log(self) -> str:
        return _tail(self.work / f"console-{self.runs}.log")

    def kill_console(self) -> None:
        assert self.app is not None and self.app.poll() is None
        os.kill(self.app.pid, signal.SIGKILL)
        self.app.wait(10)
        assert self.app.returncode == -signal.SIGKILL

    def screenshot(self, shooter: str) -> Image:
        before = set(self.shots.glob("wayland-screenshot*.png"))
        done = subprocess.run(
            [shooter],
            env=self.env,
            cwd=self.shots,
            timeout=30,
            capture_output=True,
            text=True,
            **self.user.popen_args(),
        )
        new = sorted(set(self.shots.glob("wayland-screenshot*.png")) - before)
        assert done.returncode == 0 and len(new) == 1, f"weston-screenshooter: {done.returncode} {done.stderr}"
        self.shot_count += 1
        # Its file name has whole seconds only: renamed, so the next picture never overwrites this one.
        return _image(new[0].rename(self.shots / f"shot-{self.shot_count}.png"))

    def reference(self, name: str, scenario: str = "demo") -> Image:
        """The console's own picture of its first screen at the output's size (offscreen, the same venv)."""
        path = self.shots / name
        env = {**self.env, "QT_QPA_PLATFORM": "offscreen", "QT_ACCESSIBILITY": "0"}
        env.pop("WAYLAND_DISPLAY")
        size = f"{SIZE[0]}x{SIZE[1]}"
        cmd = [
            str(self.console),
            "--demo",
            "--demo-scenario",
            scenario,
            "--kiosk",
            "--size",
            size,
            "--screenshot",
            str(path),
        ]
        done = subprocess.run(
            cmd, env=env, cwd=self.home, timeout=60, capture_output=True, text=True, **self.user.popen_args()
        )
        assert done.returncode == 0, done.stderr[-1500:]
        return _image(path)

    def close(self) -> None:
        _stop(self.app)
        _stop(self.weston)
        self.notify.close()


Image = tuple[tuple[int, int], bytes]  # (width, height), RGB rows without padding


def _image(path: Path) -> Image:
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    assert not image.isNull(), path
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = bytes(image.constBits())
    return (width, height), b"".join(data[y * stride : y * stride + 3 * width] for y in range(height))


def _share_dark(image: Image) -> float:
    (width, height), rgb = image
    return sum(1 for i in range(0, len(rgb), 3) if max(rgb[i : i + 3]) < 24) / (width * height)


def _different(a: Image, b: Image, from_row: int = 0) -> int:
    """How many pixels at or below `from_row` differ by more than TOLERANCE in a channel."""
    start = 3 * a[0][0] * from_row
    assert a[0] == b[0], (a[0], b[0])
    x, y = a[1][start:], b[1][start:]
    count = 0
    for i in range(0, len(x), 3):
        if x[i : i + 3] != y[i : i + 3] and max(abs(x[i + k] - y[i + k]) for k in range(3)) > TOLERANCE:
            count += 1
    return count


def _problem(shot: Image, reference: Image) -> str | None:
    """Why the screenshot is not the console's first data screen, or None when it is."""
    if shot[0] != SIZE:
        return f"the screenshot is {shot[0]}, weston's output is {SIZE}"
    if _share_dark(shot) >= 0.2:
        return "mostly black: the console does not fill the screen"
    below_bar = _different(shot, reference, BAR_ROWS)
    if below_bar > MAX_STRAY:
        return f"{below_bar} pixels below the status bar differ from the console's own picture"
    overall = _different(shot, reference) / (SIZE[0] * SIZE[1])
    if overall > MAX_DIFFERENT:
        return f"{overall:.1%} of the pixels differ from the console's own picture"
    return None


def _wait_for_screen(run: Session, shooter: str, reference: Image) -> Image:
    """READY=1 comes once the first screen is drawn, which may still say "Connecting…": a few pictures, bounded."""
    deadline = time.monotonic() + 20
    for _attempt in range(40):
        shot = run.screenshot(shooter)
        problem = _problem(shot, reference)
        if problem is None:
            return shot
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    pytest.fail(f"the console's screen under weston: {problem}; console log: {run.console_log()}")


@pytest.fixture
def session() -> Iterator[tuple[Session, str]]:
    weston = need_tool("weston", "weston")
    shooter = need_tool("weston-screenshooter", "weston")
    need_libraries(WAYLAND_LIBRARIES)
    user = User()
    # Outside the repo and outside pytest's 0700 tmp folders: the user must be able to read the venv.
    work = Path(tempfile.mkdtemp(prefix="ipc-hmi-weston-"))
    os.chmod(work, 0o755)
    run = None
    try:
        wheel = build_wheel(work / "build")
        console = _install(wheel, work / "venv", _interpreter(user))
        run = Session(work, user, console)
        run.start_weston(weston)
        yield run, shooter
    finally:
        if run is not None:
            run.close()
        if os.environ.get("KEEP_WESTON_WORK") != "1":
            shutil.rmtree(work, ignore_errors=True)


def test_wheel_boots_the_kiosk_under_weston_and_comes_back_after_sigkill(session: tuple[Session, str]) -> None:
    run, shooter = session
    reference = run.reference("reference.png")
    # The same story with the running version one digit on: a screen showing it must fail the check below.
    other_scenario = run.shots / "other-version.toml"
    demo = (ROOT / "hmi" / "mock" / "builtin_scenarios" / "demo.toml").read_text()
    assert 'version_id = "1.4.2"' in demo
    other_scenario.write_text(demo.replace('version_id = "1.4.2"', 'version_id = "1.4.3"', 1))
    os.chmod(other_scenario, 0o644)
    other = run.reference("other-version.png", str(other_scenario))

    run.start_console()
    first = _wait_for_screen(run, shooter, reference)
    assert _different(first, other, BAR_ROWS) > MAX_STRAY, "the check cannot tell 1.4.2 from 1.4.3"

    run.kill_console()
    assert _share_dark(run.screenshot(shooter)) > 0.95, "the screen still shows a console after SIGKILL"

    run.start_console()
    _wait_for_screen(run, shooter, reference)
