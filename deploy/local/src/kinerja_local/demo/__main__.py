from kinerja_local.demo.cli import main

raise SystemExit(main())
