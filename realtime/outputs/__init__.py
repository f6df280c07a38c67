"""What the runner sees and hears: the screen and its layers, the voice, the recording."""
