"""`kinerja-evaluation api|worker|migrate|asyncapi`."""

from kinerja_evaluation.bootstrap import DEFINITION
from kinerja_evaluation.settings import EvaluationSettings
from kinerja_shared.runtime import main as run


def main() -> None:
    run(DEFINITION, EvaluationSettings)


if __name__ == "__main__":
    main()
