from planning.cli.main import entry

entry()
