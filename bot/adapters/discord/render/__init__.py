"""ALL user-facing wording of the Discord front-end, one module per area.

``common`` holds the limits, escaping and reply helpers every other module (and every cog)
uses; the area modules turn the practice service's result objects into embeds and text.
"""
