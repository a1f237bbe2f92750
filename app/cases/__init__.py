"""Cases (casussen): concrete cases a learning group works on."""
