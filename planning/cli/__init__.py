"""Command-line front end: ``planning <command>``; one module per command, registered in ``main``."""
