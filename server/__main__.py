"""`python -m server` in a checkout, `python -m threadloom.server` once installed."""

if __package__ == "server":  # a checkout, where the packages sit at the top level
    from server import checkout

    checkout.install()

from threadloom.server.cli import main  # noqa: E402

main()
