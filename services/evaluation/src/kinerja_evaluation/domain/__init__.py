"""Pure rules and models of the evaluation service: standard library only, time passed in."""
