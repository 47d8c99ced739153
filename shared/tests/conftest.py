"""Fixtures for the plumbing tests: an applied-effects table the test handler writes into."""
