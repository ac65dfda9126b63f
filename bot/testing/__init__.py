"""Support for benchmarks and reliability tests that drive the real bot from outside.

``botproc`` runs the real bot as its own process against a (fake) Discord URL; ``load`` and
``crash`` are the ``bench load`` / ``bench kill`` harnesses (also used by
``tests/reliability``). Nothing here is imported by the bot itself.
"""
