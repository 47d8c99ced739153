"""`kinerja-activity api|worker|migrate|asyncapi`."""

from kinerja_activity.bootstrap import DEFINITION
from kinerja_activity.settings import ActivitySettings
from kinerja_shared.runtime import main as run


def main() -> None:
    run(DEFINITION, ActivitySettings)


if __name__ == "__main__":
    main()
