"""Front-ends over the practice service (Discord, terminal)."""
