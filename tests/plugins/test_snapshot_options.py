"""`hktwin snapshot --show/--hide LAYER --time ISO`: how a plugin's hidden layer gets drawn."""

from __future__ import annotations

import argparse
from datetime import timedelta

import pytest

from hktwin.commands.snapshot import time_arg
from hktwin.core.errors import DataError
from hktwin.model.layers import Layer, LayerList
from hktwin.render.snapshot import set_visibility


def test_time_without_an_offset_is_hong_kong_time():
    assert time_arg("2026-12-21T15:30").utcoffset() == timedelta(hours=8)
    assert time_arg("2026-12-21T07:30+00:00").utcoffset() == timedelta(0)
    with pytest.raises(argparse.ArgumentTypeError, match="ISO 8601"):
        time_arg("half past three")


def test_show_and_hide_name_layers_and_refuse_unknown_ones():
    layers = LayerList([Layer("Sun and shadow", visible=False), Layer("Road noise")])
    set_visibility(layers, ["Sun and shadow"], ["Road noise"])
    assert [la.visible for la in layers] == [True, False]
    with pytest.raises(DataError, match=r"no layer called 'Nope'.*Road noise"):
        set_visibility(layers, ["Nope"], [])
