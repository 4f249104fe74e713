"""Small shared pieces every room may use: errors, progress, paths. No Qt, no vispy."""
