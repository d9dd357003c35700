"""The commands: one module per `orgsync` command, each holding its I/O and sequencing.

Only this package (and `cli.py`, which parses and calls one `run_*` here) opens clients, chooses the
target and reads the tenant; `plan/` and `apply/` below it take plain values and a client Protocol.
"""
