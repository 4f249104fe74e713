"""Rendering: vispy adapters for layer models, the city scene and canvas, offscreen snapshots.

Imports vispy; never imports the Qt widgets of `hktwin.ui`.
"""
