"""Pure rules and models of the feedback service: standard library only, time passed in."""
