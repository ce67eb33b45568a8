from empower.cli import main

main()
