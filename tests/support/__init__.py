"""Helpers shared by the test modules: one CLI runner, one repository builder, the fake servers and fixtures' data.

A test module imports its helpers from here (or gets fixtures from tests/conftest.py), never from another test
module or a conftest.py.
"""
