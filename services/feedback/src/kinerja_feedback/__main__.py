"""`kinerja-feedback api|worker|migrate|asyncapi`."""

from kinerja_feedback.bootstrap import DEFINITION
from kinerja_feedback.settings import FeedbackSettings
from kinerja_shared.runtime import main as run


def main() -> None:
    run(DEFINITION, FeedbackSettings)


if __name__ == "__main__":
    main()
