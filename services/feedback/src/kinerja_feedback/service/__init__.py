"""Use cases of the feedback service: one async function per use case, one transaction each."""
