"""ribsdown's coaching side: cue rules (data), the engine that decides, the voice."""
