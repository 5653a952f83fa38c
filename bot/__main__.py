"""Lets `python -m bot` stand in for the `helpdesk` command."""

from bot.cli import main

main()
