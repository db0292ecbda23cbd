from tracechat.cli import main

if __name__ == "__main__":  # the search indexer's worker process imports this module again
    raise SystemExit(main())
