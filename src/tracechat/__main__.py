from tracechat.cli import main

raise SystemExit(main())
