"""The Discord front-end: slash commands, buttons and modals over the practice service.

``client.create_bot`` builds the bot, ``client.run_discord`` runs it with the token from the
settings. Cogs (``cogs/``) are thin: they parse the interaction, call the service and send what
a ``render`` module built; persistent buttons and the answer modal live in ``views``.
"""
