import sys

from planning.cli.main import main

sys.exit(main())
