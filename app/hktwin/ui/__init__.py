"""Qt widgets: the main window, layer panel, inspector, status bar and the background loader."""
