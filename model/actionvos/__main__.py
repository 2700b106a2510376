import sys

from actionvos.cli import main

sys.exit(main())
