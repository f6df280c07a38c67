"""Pure maths over poses: smoothing, posture, gait, strides, rib cage, activity, calibration, set-up checks."""
