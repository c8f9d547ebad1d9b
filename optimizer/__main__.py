"""`python -m optimizer` runs the fabplan CLI."""

from optimizer.cli import main

if __name__ == "__main__":
    main()
