"""Core types every layer shares: the pose, the user-facing error, where files live."""
