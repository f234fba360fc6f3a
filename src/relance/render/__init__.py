"""Rendering, pure but heavy: messages, letters, hand-off packages, the HTML report, the Dashboard tab."""
