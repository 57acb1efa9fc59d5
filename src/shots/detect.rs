//! Shot detection: the cuts of a title, found on its decoded frames.
