"""Personal data (AVG/GDPR): what is held about a member, and erasing it behind a pseudonym."""
