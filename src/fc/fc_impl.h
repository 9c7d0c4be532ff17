/*
 * fc_impl.h: helpers shared by the files of the fc module (and its tests).
 *
 * None of these allocate or print. They are not part of the public API in
 * include/fcfit/fcfit_fc.h because their conventions (how a constant series
 * is recognised, how doubles are ordered) only matter inside the module.
 */
#ifndef FCFIT_FC_IMPL_H
#define FCFIT_FC_IMPL_H

#include <complex.h>
#include <stddef.h>

#include "fcfit/fcfit_fc.h"

/*
 * glibc's <complex.h> defines the C11 macro CMPLX only when __GNUC_PREREQ(4, 7) holds, and
 * clang reports itself as GCC 4.2, so clang builds lack it. GCC and clang (12 and later) both
 * have the builtin that glibc's definition expands to, which builds the value without any
 * arithmetic (so CMPLX(0.0, y) keeps the sign of a zero real part).
 */
#ifndef CMPLX
#define CMPLX(x, y) __builtin_complex((double)(x), (double)(y))
#endif

/*
 * Mean of x[0..m-1] summed in index order. When every value equals x[0]
 * exactly, the result is x[0] itself, so the deviations of a constant series
 * are exactly zero and it is recognised as degenerate whatever its value.
 * Returns 0 for m == 0.
 */
double fcfit_fc_mean_exact(size_t m, const double *x);

/*
 * Three-way comparison of two doubles in a total order: -inf < ... < -0.0 <
 * +0.0 < ... < +inf < NaN (all NaNs equal). Returns -1, 0 or 1.
 */
int fcfit_fc_compare_total(double x, double y);

/*
 * Steady-state initial conditions of the direct form II transposed filter f
 * for a unit step input (scipy.signal.lfilter_zi): zi[0..f->len-2], so that
 * filtering a constant c from the state c*zi gives the constant output
 * c*sum(b)/sum(a) from the first sample on. Requires f->a[0] == 1.
 */
void fcfit_fc_filter_zi(const fcfit_iir *f, double *zi);

/*
 * fcfit_fcd with at most `block` windows per block of vectors (0: the
 * default), so that tests can exercise several blocks on small inputs.
 * work holds fcfit_fcd_work_size(n, T, W, step) doubles.
 */
fcfit_status fcfit_fcd_blocked(size_t n, size_t T, const double *x, size_t ld, size_t W,
                               size_t step, size_t block, double *fcd, double *work);

#endif /* FCFIT_FC_IMPL_H */
