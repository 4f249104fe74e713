"""HK Twin's own layers, feeds, importers and analyses, declared as plugin number one.

Nothing here runs at start-up: `hktwin-plugin.toml` beside this file is read like any plugin's
manifest, and each contribution names the module that already implements it.
"""
