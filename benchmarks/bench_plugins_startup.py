"""Start-up with ten extra plugins installed against start-up without them.

Run: .venv/bin/python benchmarks/bench_plugins_startup.py [--runs 15]

Ten throwaway plugins (each a package with a manifest of six contributions and a real
`.dist-info` entry point; importing any of them would sleep 0.2 s, so lazy loading shows) are
written to a temporary folder. Two measurements, A (ten more) and B (without), alternated:

- in process: discovery plus manifest reading (`PluginRegistry()`), the part plugins add;
- whole process: `hktwin --version` (interpreter, CLI, parser with the plugins' subcommands),
  the folder on PYTHONPATH for A and an empty one for B.

Both A and B also see what the environment has installed (the built-ins, the example plugins).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _common import paired, save

N_PLUGINS = 10


def write_plugins(site: Path, n: int) -> None:
    for i in range(n):
        pkg = site / f"bench_plugin_{i}"
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text("import time\ntime.sleep(0.2)  # never at start-up\n")
        (pkg / "hktwin-plugin.toml").write_text(textwrap.dedent(f"""
            [plugin]
            name = "bench-{i}"
            title = "Benchmark plugin {i}"
            api = "1.0"
            description = "A plugin that is only ever read."
            [[layers]]
            name = "layer-{i}"
            model = "bench_plugin_{i}.layer:L"
            adapter = "bench_plugin_{i}.visual:A"
            factory = "bench_plugin_{i}.layer:make"
            [[feeds]]
            name = "feed-{i}"
            source = "bench_plugin_{i}.feed:SOURCE"
            [[analyses]]
            name = "analysis-{i}"
            run = "bench_plugin_{i}.analysis:run"
            [[docks]]
            name = "dock-{i}"
            widget = "bench_plugin_{i}.dock:Dock"
            [[menus]]
            name = "menu-{i}"
            menu = "&Plugins"
            command = "bench_plugin_{i}.menu:run"
            [[cli]]
            name = "bench-cmd-{i}"
            module = "bench_plugin_{i}.cli"
            """))
        dist = site / f"bench_plugin_{i}-0.1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: bench-plugin-{i}\n"
                                       "Version: 0.1.0\n")
        (dist / "entry_points.txt").write_text(f"[hktwin.plugins]\nbench-{i} = bench_plugin_{i}\n")


def hktwin_version(pythonpath: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    code = "import sys; from hktwin.cli import main; sys.exit(main(['--version']))"
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                   timeout=60)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    from hktwin.plugins.registry import PluginRegistry

    with tempfile.TemporaryDirectory() as tmp:
        site, empty = Path(tmp) / "site", Path(tmp) / "empty"
        empty.mkdir()
        write_plugins(site, N_PLUGINS)
        enabled = lambda name: True  # noqa: E731  (no settings file read in either)

        def with_ten() -> PluginRegistry:
            sys.path.insert(0, str(site))
            try:
                return PluginRegistry(enabled=enabled)
            finally:
                sys.path.remove(str(site))

        def without() -> PluginRegistry:
            return PluginRegistry(enabled=enabled)

        reg = with_ten()
        found = [p for p in reg.plugins() if p.name.startswith("bench-")]
        assert len(found) == N_PLUGINS and all(p.active for p in found), found
        assert not any(m.startswith("bench_plugin_") for m in sys.modules), "imported a plugin"
        baseline = len(without().plugins())
        with_ten(), without()  # warm the metadata caches of both
        in_process = paired(with_ten, without, args.runs * 4)
        hktwin_version(site), hktwin_version(empty)
        a, b, ratios = [], [], []
        for _ in range(args.runs):
            ta, tb = hktwin_version(site), hktwin_version(empty)
            a.append(ta)
            b.append(tb)
            ratios.append(ta / tb)
    save("plugins_startup", {
        "plugins_added": N_PLUGINS, "plugins_installed_in_both": baseline,
        "discovery_with_ten_ms_median": in_process["a_median_s"] * 1000,
        "discovery_without_ms_median": in_process["b_median_s"] * 1000,
        "discovery_ratio_median": in_process["ratio_median"],
        "per_plugin_ms": (in_process["a_median_s"] - in_process["b_median_s"]) * 1000 / N_PLUGINS,
        "hktwin_version_with_ten_s_median": statistics.median(a),
        "hktwin_version_without_s_median": statistics.median(b),
        "hktwin_version_ratio_median": statistics.median(ratios),
        "hktwin_version_ratio_min": min(ratios), "hktwin_version_ratio_max": max(ratios),
        "runs": args.runs,
    })


if __name__ == "__main__":
    main()
