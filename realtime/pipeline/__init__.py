"""The one loop: frames through the model and the coach, live, from a file, or replayed."""
