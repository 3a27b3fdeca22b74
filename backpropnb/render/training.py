"""The training curve: the loss per step, and the accuracy beside it when given.

>>> plot_training_curve([1.0, 0.5]).backpropnb_data["final_loss"]
0.5
"""

from __future__ import annotations

import numpy as np

from ..formatting import format_number
from ..i18n import text
from .figures import new_figure


def plot_training_curve(losses, *, accuracies=None, title=None, log=False, xlabel=None):
    """The loss per step (or epoch), and the accuracy in a second panel when given.

    ``log=True`` puts the loss on a log scale; ``xlabel`` names one step of the x axis
    ("step" by default, in the current language). ``figure.backpropnb_data`` holds
    ``steps``, ``losses``, ``accuracies`` (or None), ``final_loss`` and ``best_loss``.

    >>> plot_training_curve([1.0, 0.5, 0.25]).backpropnb_data["best_loss"]
    0.25
    """
    losses = np.asarray(losses, dtype=float).ravel()
    if losses.size == 0:
        raise ValueError("plot_training_curve: losses is empty; pass at least one loss value")
    steps = np.arange(1, losses.size + 1)
    xlabel = text("render.training.step") if xlabel is None else xlabel
    panels = 1 if accuracies is None else 2
    figure = new_figure((4.6 * panels, 3.4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, panels))
    axes[0].plot(steps, losses, color="#1f77b4", marker="o" if losses.size <= 30 else None, markersize=3)
    axes[0].set_xlabel(xlabel)
    axes[0].set_ylabel(text("render.training.loss"))
    if log and np.all(losses > 0):
        axes[0].set_yscale("log")
    heading = text("render.training.title", loss=format_number(losses[-1]), count=losses.size, unit=xlabel)
    axes[0].set_title(title or heading, fontsize=10)
    axes[0].grid(True, alpha=0.3)
    data = {"steps": steps, "losses": losses, "accuracies": None, "final_loss": float(losses[-1])}
    data["best_loss"] = float(losses.min())
    if accuracies is not None:
        accuracies = np.asarray(accuracies, dtype=float).ravel()
        axes[1].plot(np.arange(1, accuracies.size + 1), accuracies, color="#2ca02c")
        axes[1].set_xlabel(xlabel)
        accuracy = text("render.training.accuracy")
        axes[1].set_ylabel(accuracy)
        axes[1].set_title(f"{accuracy}: {format_number(accuracies[-1])}" if accuracies.size else accuracy, fontsize=10)
        axes[1].grid(True, alpha=0.3)
        data["accuracies"] = accuracies
    figure.backpropnb_data = data
    return figure
