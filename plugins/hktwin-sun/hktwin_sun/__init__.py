"""Sun and shadow for HK Twin: the sun's position over Hong Kong (NREL SPA, via pvlib), the
shadows buildings cast on streets and roofs at a chosen time, and the share of an area in
shadow over a day. Contributions are declared in `hktwin-plugin.toml`.
"""
