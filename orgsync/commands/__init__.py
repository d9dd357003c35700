"""The commands: one module per command, each holding the I/O and the sequencing."""
