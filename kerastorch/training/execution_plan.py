"""Fast paths run as steps of an execution plan inside the trainer's loops (a stub: no model has a plan yet)."""


def plan_for(model):
    """The execution plan for ``model``'s forward passes in fit/evaluate/predict, or None for plain calls."""
    return None
