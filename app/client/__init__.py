"""`leergemeenschap client`: a command-line client for a running API, for scripts and people.

It talks HTTP only, as any other client of the published document does: it imports nothing of
the application (`make lint` checks that with import-linter), so what it shows is what the API
answers. `api.py` is the one HTTP session (the key, the errors, following `next` links),
`output.py` writes tables, JSON and CSV, and each command group is a module of its own
(`agenda.py`, `members.py`, `sync.py`) that `main.py` mounts; a later group, such as
`changes follow` for the change feed, is one more module and one more line there.
"""
