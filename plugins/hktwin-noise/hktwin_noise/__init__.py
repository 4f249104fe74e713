"""Road traffic noise for HK Twin: L10 along each road link by the UK CRTN method (as Hong Kong's
EPD applies it), shaded over the street cells, with the 70 dB(A) limit flagged.

What this plugin contributes is declared in `hktwin-plugin.toml`; nothing here runs until HK
Twin first uses one of its contributions.
"""
