"""Use cases of the notify service: one async function per use case, one transaction each."""
