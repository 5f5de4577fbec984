"""UWaveGestureLibrary (UEA, 3 accelerometer channels, 315 steps, 8 gestures, split 120/320).

    python examples/uwave.py                                     # through aeon (needs internet)
    python examples/uwave.py --data ../shared/data/UWaveGestureLibrary.npz --backbone resnet --epochs 30
"""

from _common import run_example

if __name__ == "__main__":
    run_example("UWaveGestureLibrary", __doc__)
