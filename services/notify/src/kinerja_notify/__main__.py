"""`kinerja-notify api|worker|migrate|asyncapi`."""

from kinerja_notify.bootstrap import DEFINITION
from kinerja_notify.settings import NotifySettings
from kinerja_shared.runtime import main as run


def main() -> None:
    run(DEFINITION, NotifySettings)


if __name__ == "__main__":
    main()
