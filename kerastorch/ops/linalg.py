"""``keras.ops.linalg`` on torch: decompositions, solvers, norms and inverses of (batches of) matrices."""
import torch

from kerastorch import dtypes
from kerastorch._porting import missing_attribute
from kerastorch.ops._dispatch import keras_op, to_tensor, to_tensors

_op = keras_op("linalg")


def _matrices(x, name, square=True):
    """``x`` as a float tensor of rank >= 2 (square matrices when ``square``), else a ValueError naming ``name``."""
    x = to_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected a tensor of rank >= 2 (matrices). Received: x.shape={tuple(x.shape)}")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"{name}: expected square matrices. Received: x.shape={tuple(x.shape)}")
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(dtypes.torch_dtype(None))
    return x


@_op
def cholesky(x, upper=False):
    """The Cholesky factor of the symmetric positive-definite matrices ``x`` (lower unless ``upper``)."""
    return torch.linalg.cholesky(_matrices(x, "cholesky"), upper=upper)


@_op
def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``x`` (``A = x x^T``, or ``x^T x`` when ``upper``)."""
    return torch.cholesky_inverse(_matrices(x, "cholesky_inverse"), upper=upper)


@_op
def det(x):
    """The determinants of the square matrices ``x``."""
    return torch.linalg.det(_matrices(x, "det"))


@_op
def eig(x):
    """Eigenvalues and eigenvectors of general square matrices (complex tensors)."""
    return torch.linalg.eig(_matrices(x, "eig"))


@_op
def eigh(x):
    """Eigenvalues (ascending) and eigenvectors of symmetric (Hermitian) matrices."""
    return tuple(torch.linalg.eigh(_matrices(x, "eigh")))


@_op
def inv(x):
    """The inverses of the square matrices ``x``."""
    return torch.linalg.inv(_matrices(x, "inv"))


@_op
def lu_factor(x):
    """The LU factorization with partial pivoting: ``(lu, pivots)``, pivots 0-based as in SciPy."""
    lu, pivots = torch.linalg.lu_factor(_matrices(x, "lu_factor", square=False))
    return lu, pivots - 1


@_op
def matrix_rank(x, tol=None):
    """The rank of the matrices ``x`` (singular values above ``tol`` count), as int32."""
    return torch.linalg.matrix_rank(_matrices(x, "matrix_rank", square=False), atol=tol).to(torch.int32)


@_op
def norm(x, ord=None, axis=None, keepdims=False):
    """A vector norm (``axis`` an int, or None for a vector) or matrix norm (``axis`` a pair; None for a matrix),
    NumPy's ``ord`` (None/"fro"/"nuc"/inf/-inf/ints)."""
    x = to_tensor(x)
    dtype = dtypes.result_type(dtypes.standardize_dtype(x.dtype), float)
    x = x.to(dtypes.torch_dtype(dtype))
    if isinstance(axis, list):
        axis = tuple(axis)
    return torch.linalg.norm(x, ord=ord, dim=axis, keepdim=keepdims)


@_op
def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse (singular values below ``rcond`` times the largest are dropped)."""
    return torch.linalg.pinv(_matrices(x, "pinv", square=False), rtol=rcond)


@_op
def qr(x, mode="reduced"):
    """The QR decomposition ``(q, r)`` (``mode`` ``"reduced"`` or ``"complete"``)."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"`mode` argument value not supported. Expected one of {{'reduced', 'complete'}}. "
                         f"Received: mode={mode}")
    return tuple(torch.linalg.qr(_matrices(x, "qr", square=False), mode=mode))


def _system(a, b, name):
    a, b = to_tensors(a, b)
    a = _matrices(a, name)
    b = b.to(a.dtype)
    n = a.shape[-1]
    if not ((b.ndim == a.ndim - 1 and b.shape[-1] == n) or (b.ndim == a.ndim and b.shape[-2] == n)):
        raise ValueError(f"{name}: incompatible shapes a={tuple(a.shape)} and b={tuple(b.shape)}: b must be "
                             f"(..., {a.shape[-1]}) or (..., {a.shape[-1]}, k).")
    return a, b


@_op
def solve(a, b):
    """``x`` with ``a @ x = b`` for square ``a`` (``b``: vectors ``(..., n)`` or matrices ``(..., n, k)``)."""
    a, b = _system(a, b, "solve")
    return torch.linalg.solve(a, b)


@_op
def solve_triangular(a, b, lower=False):
    """``x`` with ``a @ x = b`` for triangular ``a`` (upper unless ``lower``)."""
    a, b = _system(a, b, "solve_triangular")
    if b.ndim == a.ndim - 1:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@keras_op("linalg", class_name="SVD")
def svd(x, full_matrices=True, compute_uv=True):
    """The singular value decomposition ``(u, s, v^H)``, or only the singular values without ``compute_uv``."""
    x = _matrices(x, "svd", square=False)
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=full_matrices))


@_op
def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a @ x = b`` (``a``: ``(m, n)``; ``b``: ``(m,)`` or ``(m, k)``)."""
    a, b = to_tensors(a, b)
    a = _matrices(a, "lstsq", square=False)
    b = b.to(a.dtype)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"lstsq: expected a of shape (M, N) and b of shape (M,) or (M, K). Received: "
                         f"a.shape={tuple(a.shape)}, b.shape={tuple(b.shape)}")
    vector = b.ndim == 1
    b = b.unsqueeze(-1) if vector else b
    if rcond is not None and a.device.type == "cpu":
        solution = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    elif rcond is not None:
        solution = torch.linalg.pinv(a, rtol=rcond) @ b
    else:
        solution = torch.linalg.lstsq(a, b).solution
    return solution.squeeze(-1) if vector else solution


def jvp(fun, primals, tangents, has_aux=False):
    """The Jacobian-vector product of ``fun`` at ``primals`` along ``tangents`` (forward mode):
    ``(fun(*primals), jvp)``, plus ``fun``'s auxiliary output with ``has_aux``."""
    primals = tuple(to_tensor(p) for p in primals)
    tangents = tuple(to_tensor(t) for t in tangents)
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)


__all__ = sorted(name for name, value in list(globals().items()) if hasattr(value, "operation_class")) + ["jvp"]

__getattr__ = missing_attribute(__name__)
