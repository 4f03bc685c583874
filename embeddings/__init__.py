"""Text encoders for blocking and similarity features (see issue 3)."""
