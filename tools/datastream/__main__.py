import sys

from tools.datastream.cli import main

sys.exit(main())
