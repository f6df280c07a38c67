"""ribsdown's real-time side: capture, pose, smoothing, posture, the loop, screen, session."""
