"""Video: colorizing frame sequences without flicker, and measuring the flicker.

    video_io          PyAV: frames in (turned as shown, with their times); H.264 MP4 out with the source's frame
                      times and audio (copied, re-encoded to AAC, or dropped with a note)
    temporal          the stable decode: the colour decision carried along the optical flow, reset at cuts
    frame_colorizer   frames -> colorized frames with a generator (and realness with a discriminator)
    flicker           CDC, warp error, colourfulness and realness over time
    video_files       which inputs are videos (a folder's other files are skipped, not opened)
    colorize_video    video files -> MP4s + metrics JSON + plot (colordisc colorize-video)
    plot              the metrics over time as a PNG
"""

__all__: list[str] = []
