"""English strings (the reference table: every key lives here first)."""

STRINGS = {
    "stepper.example": "example",
    "stepper.step": "step",
    "stepper.play": "play",
    "stepper.next": "next step",
    "stepper.reset": "reset",
    "stepper.step_of": "step {step} of {total}",
    "checkers.correct": "Correct.",
    "checkers.hint.sign": "Check the sign of your answer.",
    "checkers.hint.shape": "Your answer has shape {got}; the expected shape is {want}.",
    "gate.gate": "gate",
    "jacobian.op": "op",
    "jacobian.width": "width n",
    "hvp.function": "function",
}
