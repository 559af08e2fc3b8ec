from flakelint.cli import main

main()
