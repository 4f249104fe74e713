"""The open document and its services, no Qt: what the window, the CLI and tests all drive."""
