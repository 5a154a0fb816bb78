"""`python -m popreg` runs the command line."""

from popreg.cli import main

main()
