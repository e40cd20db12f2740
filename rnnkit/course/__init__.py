"""Course tools: exercises with instant checks, student releases, grading, building chapters.

Nothing here imports TensorFlow: the grader runs student code in kernels of their own.
"""

from rnnkit import lazy_names

_HOMES = {
    "exercise": "exercises",
    "check": "exercises",
    "hidden_check": "exercises",
    "ExerciseFailed": "exercises",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
