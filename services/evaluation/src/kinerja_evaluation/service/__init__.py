"""Use cases of the evaluation service: one async function per use case, one transaction each."""
