"""Files the console loads at run time, shipped as the package hmi.resources (pyproject.toml maps this folder).

icons/   the state icons (SVG); app/  the freedesktop .desktop entry and the app icon;
kiosk/   the systemd unit for a panel (docs/panel.md).
"""
