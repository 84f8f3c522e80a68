from zcphar.cli.main import main

raise SystemExit(main())
