"""Where frames come from: cameras, video files, streams and the demo's rendered runner."""
