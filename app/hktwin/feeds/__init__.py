"""Live city data: one module per published source (parser + address), the feed store, polling,
recording and replay. No Qt and no vispy here.
"""
