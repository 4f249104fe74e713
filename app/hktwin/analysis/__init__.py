"""Analysis: radio propagation, line of sight and viewsheds, coverage evaluation, metrics,
scenario comparison, reports. No Qt and no vispy: usable from scripts, the CLI and workers."""
