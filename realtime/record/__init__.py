"""What a session is and how it is written: frame rows, strides, landmarks, the history store."""
