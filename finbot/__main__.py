from finbot.cli import main

main()
