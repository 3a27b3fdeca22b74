"""한국어 문자열 (en.py와 같은 키)."""

STRINGS = {
    "stepper.example": "예제",
    "stepper.step": "단계",
    "stepper.play": "재생",
    "stepper.next": "다음 단계",
    "stepper.reset": "처음으로",
    "stepper.step_of": "{total}단계 중 {step}단계",
    "checkers.correct": "맞았습니다.",
    "checkers.hint.sign": "답의 부호를 확인해 보세요.",
    "checkers.hint.shape": "답의 모양은 {got}인데, 기대하는 모양은 {want}입니다.",
    "gate.gate": "게이트",
    "jacobian.op": "연산",
    "jacobian.width": "너비 n",
    "hvp.function": "함수",
}
