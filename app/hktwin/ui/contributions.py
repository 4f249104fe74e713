"""What the main window is built from: menu commands and dock widgets, as plain lists.

The window's own menus and docks are declared here like any other contribution; a plugin (or a
test) adds its own with `add_menu_command` / `add_dock` before a window is built, or on a live
window with `MainWindow.add_menu_command` / `MainWindow.add_dock`. The plugin registry feeds these
from manifests (`[[menus]]`: `command(window)`, `menu`, `title`; `[[docks]]`:
`widget(session, parent) -> QWidget`).

A command runs with the window (`run(window)`); its logic lives in the session
(`window.session`), the window only forwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from hktwin.ui.main_window import MainWindow

#: Menus in menu-bar order; a contribution naming another menu gets a new one before Help.
MENUS: tuple[str, ...] = ("&File", "&Edit", "&View", "F&eeds", "&Help")


@dataclass(frozen=True)
class MenuCommand:
    """One menu entry. `shortcut` is a key text ("Ctrl+E") or a `QKeySequence.StandardKey`
    name ("Save"); `name` makes the action reachable as `window.actions[name]`. `section`
    groups entries: a separator is drawn where it changes within a menu."""

    menu: str
    title: str
    run: Callable[[MainWindow], Any]
    shortcut: str | None = None
    name: str = ""
    checkable: bool = False
    section: str = ""
    plugin: str = ""  # the contributing plugin, "" for the app's own


@dataclass(frozen=True)
class DockContribution:
    """One dock widget: `widget(session, parent) -> QWidget`, placed in `area` ("left", "right",
    "bottom"), tabbed with the dock titled `tabify_with` when that one exists."""

    title: str
    widget: Callable[[Any, QWidget | None], QWidget]
    area: str = "right"
    tabify_with: str | None = None
    name: str = ""
    plugin: str = ""


_menu_commands: list[MenuCommand] = []
_docks: list[DockContribution] = []


def add_menu_command(command: MenuCommand) -> None:
    """Add a menu command to every window built from now on."""
    _menu_commands.append(command)


def add_dock(dock: DockContribution) -> None:
    """Add a dock widget to every window built from now on."""
    _docks.append(dock)


def contributed_menu_commands() -> list[MenuCommand]:
    return list(_menu_commands)


def contributed_docks() -> list[DockContribution]:
    return list(_docks)


def clear_contributions() -> None:
    """Forget the added contributions (tests; a plugin being disabled)."""
    _menu_commands.clear()
    _docks.clear()


# -- from the plugin registry ---------------------------------------------------------------------

def plugin_contributions() -> tuple[list[DockContribution], list[MenuCommand]]:
    """The active plugins' `[[docks]]` and `[[menus]]` as contributions (nothing imported yet).

    Each callable goes through the registry's guard, so a plugin whose dock or command raises
    is named, disabled and reported, and the window carries on (`PluginError` reaches the
    window, which shows it in the status bar).
    """
    try:
        from hktwin.plugins import contributions
    except ImportError:  # an app without the plugin room
        return [], []
    docks = [DockContribution(
        c.title or c.name,
        lambda session, parent, c=c: c.call("widget", "dock", session, parent),
        str(c.meta.get("area", "right")), c.meta.get("tabify_with"), plugin=c.plugin)
        for c in contributions("docks")]
    menus = [MenuCommand(
        str(c.meta.get("menu", "&Plugins")), c.title or c.name,
        lambda window, c=c: c.call("command", "menu command", window),
        c.meta.get("shortcut"), name=c.id, plugin=c.plugin)
        for c in contributions("menus")]
    return docks, menus
