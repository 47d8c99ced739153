"""Lets pytest import the notify tests as the package `notify.tests`, apart from other services tests."""
