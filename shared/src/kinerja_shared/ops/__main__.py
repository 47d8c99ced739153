from kinerja_shared.ops.cli import main

main()
