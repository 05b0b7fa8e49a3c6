//! Singular values, best low-rank approximations and the quantities built on them.
