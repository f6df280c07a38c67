"""The names of a session folder's files (no heavy imports: the command line reads them early)."""

#: The recorded screen (`--record`): Matroska, which stays playable up to its last frames when
#: the run is killed (an MP4's index is written at the end: a killed run left an unplayable file).
VIDEO_NAME = "session.mkv"
#: The name recordings had before.
OLD_VIDEO_NAME = "session.mp4"
