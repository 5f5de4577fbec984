"""SpokenArabicDigits (UEA, 13 MFCC channels, 4 to 93 frames: unequal length, 10 digits).

    python examples/arabic_digits.py                             # through aeon (needs internet)
    python examples/arabic_digits.py --data JapaneseVowels       # offline: the closest relative aeon ships

Unequal-length series stay in aeon's list form end to end: the attacks trigger each series
at its own length and the estimators pad internally.
"""

from _common import run_example

if __name__ == "__main__":
    run_example("SpokenArabicDigits", __doc__)
