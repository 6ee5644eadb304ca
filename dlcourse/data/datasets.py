"""Real data sets that ship inside scikit-learn, so the course never downloads anything.

scikit-learn is imported inside the functions, not at module level: it takes a few
hundred milliseconds to import and ``import dlcourse`` must stay fast.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_float_dtype

__all__ = ["load_digits", "load_diabetes"]


def load_digits(as_images: bool = False, dtype="float32"):
    """The 1,797 handwritten digits (8x8 pixels, 10 classes) bundled with scikit-learn.

    They are the UCI "Optical Recognition of Handwritten Digits" set (Alpaydin &
    Kaynak 1998): 32x32 bitmaps reduced to 8x8 by counting the ink pixels in each
    4x4 block, so each pixel is an integer 0..16. We divide by 16 to put pixels in
    [0, 1], the usual input range for a network (MNIST's 0..255 is divided by 255
    for the same reason).

    Parameters
    ----------
    as_images : bool
        False: flat features ``(1797, 64)`` for a Dense network. True: images
        ``(1797, 8, 8, 1)``, channels-last (NHWC) as Keras' ``Conv2D`` expects.
    dtype : floating dtype of ``x`` (default float32).

    Returns
    -------
    x : ndarray, ``(1797, 64)`` or ``(1797, 8, 8, 1)``, values in [0, 1]
    y : ndarray of int64, ``(1797,)``, the digit 0..9
    """
    dt = check_float_dtype(dtype, "load_digits")
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    x = (bunch.data / 16.0).astype(dt)
    if as_images:
        x = x.reshape(-1, 8, 8, 1)
    return x, bunch.target.astype(np.int64)


def load_diabetes(dtype="float32", return_feature_names: bool = False):
    """Diabetes progression one year after baseline, from 10 measurements (442 patients).

    This is the course's regression data set and our replacement for the Boston
    housing data that the source documents load with ``sklearn.datasets.load_boston``.
    That function was deprecated in scikit-learn 1.0 and removed in 1.2, and not for
    technical reasons. Harrison & Rubinfeld (1978, "Hedonic housing prices and the
    demand for clean air", *J. Environ. Economics and Management* 5(1):81-102) built
    a feature ``B = 1000 (Bk - 0.63)^2`` from the proportion ``Bk`` of Black residents
    per town, on the assumption that racial self-segregation raises house prices.
    scikit-learn's deprecation note (version 1.0) states the problem: the authors
    "engineered a non-invertible variable 'B' assuming that racial
    self-segregation had a positive impact on house prices" (as investigated by
    M. Carlisle, "racist data destruction?", 2019), the study never adequately
    demonstrated that assumption, and the maintainers "strongly discourage the use
    of this dataset unless the purpose of the code is to study and educate about
    ethical issues in data science". Diabetes is also bundled, also tabular
    regression with a handful of features, and has no such problem (Efron, Hastie,
    Johnstone & Tibshirani 2004, "Least angle regression").

    Features are returned *raw* (age in years, sex coded 1/2, BMI, mean blood
    pressure, six blood serum measurements), not scikit-learn's default version
    that is already centred and scaled using all 442 rows: scaling belongs after
    the train/test split, fitted on the training rows only (see ``Standardizer``).

    Parameters
    ----------
    dtype : floating dtype of ``x`` and ``y`` (default float32).
    return_feature_names : bool
        If True, also return the list of the 10 feature names.

    Returns
    -------
    x : ndarray, ``(442, 10)``
    y : ndarray, ``(442, 1)``, a quantitative measure of disease progression (25..346);
        a column so it has the shape of a ``Dense(1)`` output.
    feature_names : list of str, only if ``return_feature_names``
    """
    dt = check_float_dtype(dtype, "load_diabetes")
    from sklearn.datasets import load_diabetes as _sk_load_diabetes

    bunch = _sk_load_diabetes(scaled=False)
    x = bunch.data.astype(dt)
    y = bunch.target.astype(dt).reshape(-1, 1)
    if return_feature_names:
        return x, y, list(bunch.feature_names)
    return x, y
