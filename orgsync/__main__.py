from orgsync.cli import main

main()
