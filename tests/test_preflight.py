"""`make demo` stops with a message naming what is missing."""

from hmi import preflight


def _find_all(name):
    return f"/usr/lib/lib{name}.so"


def test_offscreen_needs_nothing():
    assert preflight.problems({"QT_QPA_PLATFORM": "offscreen"}, find=lambda _n: None) == []


def test_no_display_says_how_to_run_under_xvfb():
    found = preflight.problems({}, find=_find_all)
    assert len(found) == 1
    assert "No display" in found[0] and "xvfb-run" in found[0] and "QT_QPA_PLATFORM=offscreen" in found[0]


def test_missing_xcb_library_is_named_with_its_package():
    found = preflight.problems({"DISPLAY": ":0"}, find=lambda n: None if n == "xcb-cursor" else _find_all(n))
    assert found == [
        "Qt's xcb platform needs system libraries that are not installed:\n    apt-get install -y libxcb-cursor0"
    ]


def test_all_present_with_display_is_fine():
    assert preflight.problems({"DISPLAY": ":0"}, find=_find_all) == []


class Apt:
    """apt-get as `make demo` would run it: records each command; `installs` says which packages appear once an
    install command names them (a machine whose package lists are empty fails the first install)."""

    def __init__(self, present: set[str], first_install_fails: bool = False) -> None:
        self.present, self.commands, self.fail_next = present, [], first_install_fails

    def find(self, name: str) -> str | None:
        return f"/usr/lib/lib{name}.so" if name in self.present else None

    def run(self, command):
        self.commands.append(list(command))
        if command[:2] == ["apt-get", "install"]:
            if self.fail_next:
                self.fail_next = False
                return 100
            wanted = set(command[4:])
            self.present |= {lib for lib, pkg in preflight.XCB_LIBRARIES.items() if pkg in wanted}
        return 0


def test_as_root_missing_libraries_are_installed_then_the_demo_starts(capsys):
    apt = Apt(set(preflight.XCB_LIBRARIES) - {"xcb-cursor", "xcb-icccm"})
    assert preflight.main({"DISPLAY": ":0"}, find=apt.find, run=apt.run, allowed=True) == 0
    assert apt.commands == [["apt-get", "install", "-y", "--no-install-recommends", "libxcb-cursor0", "libxcb-icccm4"]]
    assert "installing what Qt's xcb platform needs: libxcb-cursor0 libxcb-icccm4" in capsys.readouterr().err


def test_a_fresh_machine_without_package_lists_updates_them_once():
    apt = Apt(set(preflight.XCB_LIBRARIES) - {"EGL"}, first_install_fails=True)
    assert preflight.main({"DISPLAY": ":0"}, find=apt.find, run=apt.run, allowed=True) == 0
    assert [c[:2] for c in apt.commands] == [["apt-get", "install"], ["apt-get", "update"], ["apt-get", "install"]]


def test_without_root_it_says_the_exact_command_and_installs_nothing(capsys):
    apt = Apt(set(preflight.XCB_LIBRARIES) - {"xcb-cursor"})
    assert preflight.main({"DISPLAY": ":0"}, find=apt.find, run=apt.run, allowed=False) == 1
    assert apt.commands == []
    assert "apt-get install -y libxcb-cursor0" in capsys.readouterr().err


def test_a_failed_install_still_ends_with_the_command(capsys):
    apt = Apt(set(preflight.XCB_LIBRARIES) - {"xcb-cursor"})
    apt.run = lambda command: (apt.commands.append(list(command)), 100)[1]
    assert preflight.main({"DISPLAY": ":0"}, find=apt.find, run=apt.run, allowed=True) == 1
    assert len(apt.commands) == 2  # install, update (failed): no second install
    assert "apt-get install -y libxcb-cursor0" in capsys.readouterr().err


def test_nothing_is_installed_without_a_display_or_on_wayland():
    apt = Apt(set())
    assert preflight.main({}, find=apt.find, run=apt.run, allowed=True) == 1  # says how to run under Xvfb
    assert preflight.main({"WAYLAND_DISPLAY": "wayland-0"}, find=apt.find, run=apt.run, allowed=True) == 0
    assert apt.commands == []


def test_only_root_with_apt_may_install():
    assert preflight.can_install(euid=0, which=lambda _t: "/usr/bin/apt-get")
    assert not preflight.can_install(euid=1000, which=lambda _t: "/usr/bin/apt-get")
    assert not preflight.can_install(euid=0, which=lambda _t: None)
