"""Members (deelnemers): the people of the community, participants and followers."""
