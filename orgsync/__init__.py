"""orgsync: manage an Orgvue tenant declaratively from a Git repository."""

__version__ = "0.2.0"
