"""Read models that several services keep of another service's facts."""
