"""The parts of the `formwork` command.

base.py holds the click group and the options the commands share; each other module adds
its commands to that group when imported, and engine/cli.py imports them all. Commands of
other installed packages join through the `formwork.commands` entry points (base.py).
"""
