"""Read models built from the event store, and the runner that keeps them current."""
